package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/internal/ackcheck"
)

// TimestampBase is added to every event's sequence number to make its
// timestamp: no real device time comes near it.
const TimestampBase = 9_000_000_000_000

// Config configures a load.
type Config struct {
	URL, AppID      string
	Conns, Devices  int
	Duration, Think time.Duration
	MaxBatch        int
	Lose            float64
	Timeout         time.Duration
	Hostile         bool
	PID             int
	// Warmup is how long after the start a request counts for the steady
	// percentiles.
	Warmup time.Duration
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "http" {
		errs = append(errs, fmt.Errorf("-url %q: want http://host:port", c.URL))
	} else if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		errs = append(errs, fmt.Errorf("-url %q: the benchmark only sends to loopback", c.URL))
	}
	if c.Conns < 1 || c.Devices < 1 || c.MaxBatch < 1 || c.MaxBatch > 200 {
		errs = append(errs, errors.New("-conns and -devices must be positive, -batch within [1, 200] (the plugin's queue)"))
	}
	if c.Duration <= 0 || c.Think < 0 || c.Timeout <= 0 || c.Lose < 0 || c.Lose >= 1 {
		errs = append(errs, errors.New("-duration and -timeout must be positive, -think not negative, -lose within [0, 1)"))
	}
	return errors.Join(errs...)
}

// Range is a run of acknowledged sequence numbers.
type Range = ackcheck.Range

// Sample is the server's RSS at a time of the run.
type Sample struct {
	At  time.Duration
	RSS int64
}

// endpoint is what one endpoint's requests came to.
type endpoint struct {
	mu       sync.Mutex
	statuses map[int]int64 // -1: no answer (transport error, timeout)
	// accepted: every accepted request's time; steady: those sent after
	// the warm-up (the crowd's arrival, every connection opened at once);
	// bySecond: by the second of the run they were sent in.
	accepted, steady *hdrhistogram.Histogram
	bySecond         []*hdrhistogram.Histogram
}

func newEndpoint() *endpoint {
	return &endpoint{statuses: map[int]int64{}, accepted: newHist(), steady: newHist()}
}

// newHist holds µs up to a minute, the longest timeout, at 3 digits.
func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, 60_000_000, 3) }

// record counts a reply; a request sent at sent (since the start) that
// was accepted adds took to the histograms.
func (e *endpoint) record(status int, took, sent, warmup time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.statuses[status]++
	if status != http.StatusOK {
		return
	}
	us := max(1, took.Microseconds())
	_ = e.accepted.RecordValue(us)
	if sent >= warmup {
		_ = e.steady.RecordValue(us)
	}
	sec := int(sent / time.Second)
	for len(e.bySecond) <= sec {
		e.bySecond = append(e.bySecond, nil)
	}
	if e.bySecond[sec] == nil {
		// Two digits: a second's p99 to 1%, in a quarter of the memory
		// (a long run holds one a second).
		e.bySecond[sec] = hdrhistogram.New(1, 60_000_000, 2)
	}
	_ = e.bySecond[sec].RecordValue(us)
}

// Result is what a load came to.
type Result struct {
	Cfg            Config
	Elapsed        time.Duration
	Updates, Stats *endpoint
	Sent, AckedN   int64
	Reposts, Lost  int64 // stats batches posted again; replies dropped on purpose
	Acked          []Range
	RSS            []Sample
	Server         []string // the server's own shed and retry counts (/metrics)
}

// PeakRSS is the largest RSS sampled.
func (r *Result) PeakRSS() int64 {
	var m int64
	for _, s := range r.RSS {
		m = max(m, s.RSS)
	}
	return m
}

// Load runs the devices until the duration is over or ctx is cancelled.
func Load(ctx context.Context, c Config, progress io.Writer) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	res := &Result{Cfg: c, Updates: newEndpoint(), Stats: newEndpoint()}
	var seq, sent, ackedN, reposts, lost atomic.Int64
	var mu sync.Mutex
	start := time.Now()
	deadline := start.Add(c.Duration)
	sctx, stopSampling := context.WithCancel(ctx)
	sampled := make(chan []Sample, 1)
	go func() { sampled <- sample(sctx, c.PID, start, res, progress) }()
	var wg sync.WaitGroup
	for w := range c.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &device{c: c, start: start, rnd: rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano()))), res: res,
				seq: &seq, sent: &sent, ackedN: &ackedN, reposts: &reposts, lost: &lost, host: hostOf(c.URL)}
			defer d.close()
			d.run(ctx, deadline)
			mu.Lock()
			res.Acked = append(res.Acked, d.acked...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	stopSampling()
	res.RSS = <-sampled
	res.Sent, res.AckedN, res.Reposts, res.Lost = sent.Load(), ackedN.Load(), reposts.Load(), lost.Load()
	slices.SortFunc(res.Acked, func(a, b Range) int { return int(a.First - b.First) })
	res.Server = serverCounts(c.URL)
	return res, nil
}

// device is one connection's device stream.
type device struct {
	c    Config
	rnd  *rand.Rand
	res  *Result
	host string
	// One kept-alive connection, as a device's HTTP client holds, written
	// and read directly (net/http's client costs the generator more CPU
	// than the server it measures).
	conn net.Conn
	br   *bufio.Reader
	req  bytes.Buffer

	seq, sent, ackedN, reposts, lost *atomic.Int64

	start        time.Time
	blockedUntil time.Time // Retry-After, honoured
	pending      *batch    // a stats batch not acknowledged yet
	acked        []Range
	buf          bytes.Buffer
}

type batch struct {
	body     []byte
	first, n int64
}

func (d *device) run(ctx context.Context, deadline time.Time) {
	id := d.rnd.IntN(d.c.Devices)
	timer := time.NewTimer(d.pause())
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if !time.Now().Before(deadline) {
			return
		}
		if wait := time.Until(d.blockedUntil); wait > 0 {
			timer.Reset(min(wait, time.Until(deadline)+time.Millisecond))
			continue
		}
		if d.pending == nil && d.rnd.IntN(2) == 0 {
			d.updates(ctx, id)
		} else {
			d.stats(ctx, id)
		}
		timer.Reset(d.pause())
	}
}

func (d *device) pause() time.Duration {
	if d.c.Think == 0 {
		return 0
	}
	return time.Duration(d.rnd.Int64N(int64(2 * d.c.Think)))
}

func (d *device) updates(ctx context.Context, id int) {
	d.buf.Reset()
	fmt.Fprintf(&d.buf, `{"app_id":%q,"device_id":"00000000-0000-4000-8000-%012d","platform":"android","version_name":"builtin",`+
		`"version_build":"1.0.0","version_code":"1","version_os":"14","plugin_version":"8.51.14","is_emulator":false,"is_prod":true}`, d.c.AppID, id)
	sent := time.Since(d.start)
	status, _, took, hdr := d.post(ctx, "/updates", d.buf.Bytes())
	d.res.Updates.record(status, took, sent, d.c.Warmup)
	d.honour(status, hdr)
}

func (d *device) stats(ctx context.Context, id int) {
	b := d.pending
	if b == nil {
		n := int64(1 + d.rnd.IntN(d.c.MaxBatch))
		b = &batch{first: d.seq.Add(n) - n + 1, n: n}
		b.body = appendBatch(nil, d.c.AppID, id, b.first, n, d.rnd)
		d.sent.Add(n)
	} else {
		d.reposts.Add(1)
	}
	sent := time.Since(d.start)
	status, raw, took, hdr := d.post(ctx, "/stats", b.body)
	d.res.Stats.record(status, took, sent, d.c.Warmup)
	d.honour(status, hdr)
	switch {
	case status != http.StatusOK || bytes.Contains(raw, []byte(`"error"`)):
		// Not acknowledged (or an event refused: kept to be told apart by
		// verify as stored but not acknowledged): posted again, unchanged.
		d.pending = b
		if !d.c.Hostile && status != http.StatusTooManyRequests && !d.blockedUntil.After(time.Now()) {
			// A 5xx or no answer: the plugin tries again at its next
			// one-second tick (A/CapgoUpdater.java:3110-3115).
			d.blockedUntil = time.Now().Add(time.Second)
		}
	case d.rnd.Float64() < d.c.Lose:
		d.lost.Add(1)
		d.pending = b // as if the reply never came
	default:
		d.pending = nil
		d.acked = append(d.acked, Range{First: b.first, N: b.n})
		d.ackedN.Add(b.n)
	}
}

// honour holds the device until Retry-After after a 429, as the plugin
// does (capacitor-updater 8.51.14, CapgoUpdater.java:2006-2041: every
// request waits, capped at 24 h).
func (d *device) honour(status int, hdr http.Header) {
	if d.c.Hostile || status != http.StatusTooManyRequests {
		return
	}
	if s, err := strconv.ParseFloat(strings.TrimSpace(hdr.Get("Retry-After")), 64); err == nil && s > 0 {
		d.blockedUntil = time.Now().Add(min(time.Duration(s*float64(time.Second)), 24*time.Hour))
	}
}

// post sends one request on the device's connection (dialled when it has
// none) and reads the whole reply; status -1 is no answer. ctx ends the
// wait at once.
func (d *device) post(ctx context.Context, path string, body []byte) (int, []byte, time.Duration, http.Header) {
	t0 := time.Now()
	if d.conn == nil {
		conn, err := (&net.Dialer{Timeout: d.c.Timeout}).DialContext(ctx, "tcp", d.host)
		if err != nil {
			return -1, nil, time.Since(t0), nil
		}
		d.conn, d.br = conn, bufio.NewReaderSize(conn, 4<<10)
	}
	stop := context.AfterFunc(ctx, func() { d.conn.SetDeadline(time.Now()) })
	defer stop()
	_ = d.conn.SetDeadline(t0.Add(d.c.Timeout))
	d.req.Reset()
	fmt.Fprintf(&d.req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", path, d.host, len(body))
	d.req.Write(body)
	if _, err := d.conn.Write(d.req.Bytes()); err != nil {
		d.close()
		return -1, nil, time.Since(t0), nil
	}
	resp, err := http.ReadResponse(d.br, nil)
	if err != nil {
		d.close()
		return -1, nil, time.Since(t0), nil
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	took := time.Since(t0)
	if err != nil {
		d.close()
		return -1, nil, took, nil
	}
	if resp.Close {
		d.close()
	}
	return resp.StatusCode, raw, took, resp.Header
}

func (d *device) close() {
	if d.conn != nil {
		d.conn.Close()
		d.conn, d.br = nil, nil
	}
}

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}

var actions = [...]string{"app_moved_to_foreground", "app_moved_to_background", "download_10", "download_complete",
	"set", "app_launch_ready", "download_fail", "ping"}

// appendBatch writes a batch of n events of one device, timestamps
// TimestampBase+first onwards.
func appendBatch(b []byte, app string, device int, first, n int64, rnd *rand.Rand) []byte {
	var buf bytes.Buffer
	buf.Write(b)
	buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"platform":"android","device_id":"00000000-0000-4000-8000-%012d","app_id":%q,"version_build":"1.0.0","version_code":"1","version_os":"14","version_name":"1.1.0","old_version_name":"1.0.0","plugin_version":"8.51.14","is_emulator":false,"is_prod":true,"action":%q,"timestamp":%d}`,
			device, app, actions[rnd.IntN(len(actions))], TimestampBase+first+i)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

// sample reads the server's RSS every 250 ms, printing a line every 5 s.
func sample(ctx context.Context, pid int, start time.Time, res *Result, progress io.Writer) []Sample {
	var out []Sample
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	next := 5 * time.Second
	for {
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
		at := time.Since(start)
		if rss, ok := rssOf(pid); ok {
			out = append(out, Sample{at, rss})
		}
		if at >= next {
			next += 5 * time.Second
			u, s := res.Updates.snapshot(), res.Stats.snapshot()
			rss := int64(0)
			if len(out) > 0 {
				rss = out[len(out)-1].RSS
			}
			fmt.Fprintf(progress, "t=%3.0fs rss=%4d MB  updates ok=%d shed=%d none=%d  stats ok=%d shed=%d none=%d\n",
				at.Seconds(), rss>>20, u[200], u[429]+u[503], u[-1], s[200], s[429]+s[503], s[-1])
		}
	}
}

func (e *endpoint) snapshot() map[int]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[int]int64, len(e.statuses))
	for k, v := range e.statuses {
		out[k] = v
	}
	return out
}

// rssOf reads a process's resident set from /proc.
func rssOf(pid int) (int64, bool) {
	if pid <= 0 {
		return 0, false
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// serverCounts reads the server's shed and retry counters from /metrics,
// and the p99 of its own handling time of /updates (from the request to
// the reply, without the time the request waited before it was read),
// which tells the server's work apart from the machine's queueing.
func serverCounts(base string) []string {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return []string{"(no /metrics: " + err.Error() + ")"}
	}
	defer resp.Body.Close()
	var out []string
	buckets := map[float64]float64{} // le → count, summed over outcomes
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		for _, p := range []string{"otasim_server_shed_total", "otasim_server_stats_retries_total", "otasim_server_connections "} {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
			}
		}
		if rest, ok := strings.CutPrefix(l, `otasim_server_request_duration_seconds_bucket{endpoint="updates",`); ok {
			_, after, _ := strings.Cut(rest, `le="`)
			le, val, _ := strings.Cut(after, `"} `)
			bound, err1 := strconv.ParseFloat(le, 64)
			n, err2 := strconv.ParseFloat(val, 64)
			if err1 == nil && err2 == nil {
				buckets[bound] += n
			}
		}
	}
	if p99, ok := bucketQuantile(buckets, 0.99); ok {
		out = append(out, fmt.Sprintf("/updates handling time p99 <= %gs (the server's own histogram)", p99))
	}
	return out
}

// bucketQuantile is the bound of the bucket holding the q quantile of a
// cumulative Prometheus histogram.
func bucketQuantile(b map[float64]float64, q float64) (float64, bool) {
	bounds := make([]float64, 0, len(b))
	for k := range b {
		bounds = append(bounds, k)
	}
	slices.Sort(bounds)
	if len(bounds) == 0 || b[bounds[len(bounds)-1]] == 0 {
		return 0, false
	}
	want := q * b[bounds[len(bounds)-1]]
	for _, k := range bounds {
		if b[k] >= want {
			return k, true
		}
	}
	return 0, false
}
