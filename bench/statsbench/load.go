package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otasim/otasim/internal/ackcheck"
	"github.com/otasim/otasim/protocol"
)

// TimestampBase is added to an event's sequence number to make its
// timestamp: a plausible time in ms, unique per event of a run.
const TimestampBase int64 = 1_700_000_000_000

// LoadConfig configures Load.
type LoadConfig struct {
	URL       string
	AppID     string
	Duration  time.Duration
	Conns     int
	Devices   int
	MinBatch  int
	MaxBatch  int
	MaxEvents int64
}

// Validate reports every problem of a configuration at once.
func (c LoadConfig) Validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "http" {
		errs = append(errs, fmt.Errorf("url %q must be http://host:port", c.URL))
	} else if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		errs = append(errs, fmt.Errorf("url %q is not a loopback address", c.URL))
	}
	if c.AppID == "" {
		errs = append(errs, errors.New("app id is empty"))
	}
	if c.Duration <= 0 || c.Duration > 10*time.Minute {
		errs = append(errs, fmt.Errorf("duration %s must be in (0, 10m]", c.Duration))
	}
	if c.Conns < 1 || c.Conns > 1024 {
		errs = append(errs, fmt.Errorf("conns %d must be in [1, 1024]", c.Conns))
	}
	if c.Devices < 1 {
		errs = append(errs, fmt.Errorf("devices %d must be positive", c.Devices))
	}
	if c.MinBatch < 1 || c.MaxBatch < c.MinBatch || c.MaxBatch > protocol.MaxStatsBatch {
		errs = append(errs, fmt.Errorf("batch sizes [%d, %d] must lie in [1, %d]", c.MinBatch, c.MaxBatch, protocol.MaxStatsBatch))
	}
	if c.MaxEvents < 1 {
		errs = append(errs, fmt.Errorf("max events %d must be positive", c.MaxEvents))
	}
	return errors.Join(errs...)
}

// Range is a run of acknowledged sequence numbers.
type Range = ackcheck.Range

// LoadResult is what Load measured.
type LoadResult struct {
	Elapsed        time.Duration
	Batches        int64
	Sent, AckedN   int64
	FailedBatches  int64 // transport errors and non-200 replies
	RefusedEvents  int64 // events a 200 batch reply marked as errors
	Acked          []Range
	P50, P99, PMax time.Duration // batch round trips
	FirstFailure   string
}

// Summary is one line for the benchmark's log.
func (r LoadResult) Summary() string {
	s := r.Elapsed.Seconds()
	return fmt.Sprintf("RESULT elapsed_s=%.2f batches=%d events_sent=%d events_acked=%d acked_per_s=%.0f failed_batches=%d refused_events=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f first_failure=%q",
		s, r.Batches, r.Sent, r.AckedN, float64(r.AckedN)/s, r.FailedBatches, r.RefusedEvents,
		ms(r.P50), ms(r.P99), ms(r.PMax), r.FirstFailure)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var actions = [...]string{"app_moved_to_foreground", "app_moved_to_background", "download_10", "download_50",
	"download_complete", "set", "app_launch_ready", "getChannel", "download_fail", "ping"}

// Load posts batches until the duration is over, ctx is cancelled or
// MaxEvents were sent, and returns what the server acknowledged.
func Load(ctx context.Context, c LoadConfig) (LoadResult, error) {
	if err := c.Validate(); err != nil {
		return LoadResult{}, fmt.Errorf("load: %w", err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: c.Conns, MaxConnsPerHost: c.Conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		seq  atomic.Int64
		mu   sync.Mutex
		res  LoadResult
		lats []time.Duration
		wg   sync.WaitGroup
	)
	start := time.Now()
	// The deadline stops new batches; one in flight runs to its reply, so
	// that the run ends with no batch of unknown fate.
	deadline := start.Add(c.Duration)
	for w := range c.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			var buf bytes.Buffer
			var local LoadResult
			var localLats []time.Duration
			for ctx.Err() == nil && time.Now().Before(deadline) {
				n := int64(c.MinBatch + rnd.IntN(c.MaxBatch-c.MinBatch+1))
				first := seq.Add(n) - n + 1
				if first+n-1 > c.MaxEvents {
					break
				}
				buf.Reset()
				appendBatch(&buf, c.AppID, rnd.IntN(c.Devices), first, n, rnd)
				t0 := time.Now()
				acked, refused, err := post(ctx, client, c.URL+"/stats", buf.Bytes(), n)
				localLats = append(localLats, time.Since(t0))
				local.Batches++
				local.Sent += n
				if err != nil {
					if ctx.Err() != nil {
						// Interrupted: neither acknowledged nor a server
						// failure.
						local.Sent -= n
						local.Batches--
						localLats = localLats[:len(localLats)-1]
						break
					}
					local.FailedBatches++
					if local.FirstFailure == "" {
						local.FirstFailure = err.Error()
					}
					continue
				}
				local.RefusedEvents += refused
				for _, r := range acked {
					r.First += first
					local.Acked = append(local.Acked, r)
					local.AckedN += r.N
				}
			}
			mu.Lock()
			res.Batches += local.Batches
			res.Sent += local.Sent
			res.AckedN += local.AckedN
			res.FailedBatches += local.FailedBatches
			res.RefusedEvents += local.RefusedEvents
			res.Acked = append(res.Acked, local.Acked...)
			if res.FirstFailure == "" {
				res.FirstFailure = local.FirstFailure
			}
			lats = append(lats, localLats...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(lats)
	if len(lats) > 0 {
		res.P50, res.P99, res.PMax = lats[len(lats)/2], lats[len(lats)*99/100], lats[len(lats)-1]
	}
	slices.SortFunc(res.Acked, func(a, b Range) int { return int(a.First - b.First) })
	return res, nil
}

// appendBatch writes a batch of n events of one device, timestamps
// TimestampBase+first onwards.
func appendBatch(buf *bytes.Buffer, app string, device int, first, n int64, rnd *rand.Rand) {
	buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		action := actions[rnd.IntN(len(actions))]
		fmt.Fprintf(buf, `{"platform":"android","device_id":"00000000-0000-4000-8000-%012d","app_id":%q,"version_build":"1.0.0","version_code":"1","version_os":"14","version_name":"1.1.0","old_version_name":"1.0.0","plugin_version":"8.51.14","is_emulator":false,"is_prod":true,"action":%q,"timestamp":%d`,
			device, app, action, TimestampBase+first+i)
		if action == "download_fail" {
			buf.WriteString(`,"metadata":{"reason":"network","http_status":"503"}`)
		}
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
}

// post sends one batch and returns the acknowledged events as ranges of
// offsets in the batch, and how many the reply refused.
func post(ctx context.Context, client *http.Client, url string, body []byte, n int64) ([]Range, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("status %d: %.200s", resp.StatusCode, raw)
	}
	var rep protocol.StatsReply
	if err := json.Unmarshal(raw, &rep); err != nil || rep.Status != "ok" {
		return nil, 0, fmt.Errorf("reply %.200s", raw)
	}
	if int64(len(rep.Results)) != n {
		return nil, 0, fmt.Errorf("reply has %d results for %d events", len(rep.Results), n)
	}
	var out []Range
	var refused int64
	for _, r := range rep.Results {
		if r.Status != "ok" {
			refused++
			continue
		}
		i := int64(r.Index)
		if k := len(out); k > 0 && out[k-1].First+out[k-1].N == i {
			out[k-1].N++
		} else {
			out = append(out, Range{First: i, N: 1})
		}
	}
	return out, refused, nil
}
