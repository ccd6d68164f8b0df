package remotewrite

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
)

// receiver is a remote-write endpoint that decodes what it gets; hook,
// when set, answers instead of 204 (and may block).
type receiver struct {
	mu   sync.Mutex
	reqs []*prompb.WriteRequest
	hook func(w http.ResponseWriter, n int) bool // true: answered
	n    int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Encoding") != "snappy" || r.Header.Get("Content-Type") != "application/x-protobuf" ||
		r.Header.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" {
		http.Error(w, "headers "+strings.Join([]string{r.Header.Get("Content-Encoding"), r.Header.Get("Content-Type"),
			r.Header.Get("X-Prometheus-Remote-Write-Version")}, " "), http.StatusBadRequest)
		return
	}
	b, _ := io.ReadAll(r.Body)
	raw, err := snappy.Decode(nil, b)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req prompb.WriteRequest
	if err := req.Unmarshal(raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.n++
	n, hook := rc.n, rc.hook
	rc.mu.Unlock()
	if hook != nil && hook(w, n) {
		return
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, &req)
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) received() []*prompb.WriteRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.reqs)
}

// sample finds a series by name in a request.
func sample(req *prompb.WriteRequest, name string) (prompb.TimeSeries, bool) {
	for _, ts := range req.Timeseries {
		for _, l := range ts.Labels {
			if l.Name == "__name__" && l.Value == name {
				return ts, true
			}
		}
	}
	return prompb.TimeSeries{}, false
}

func newRegistry() (*prometheus.Registry, prometheus.Counter, prometheus.Histogram) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "t_requests_total", Help: "h"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "t_duration_seconds", Help: "h", Buckets: []float64{0.1, 1}})
	reg.MustRegister(c, h)
	return reg, c, h
}

// The last push carries the values as they were at Close, with the run's
// labels on every series, labels sorted, histograms as _bucket/_sum/_count.
func TestPushAndClose(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	reg, c, h := newRegistry()
	p, err := New(Config{URL: srv.URL + "/api/v1/write", Gatherer: reg, Interval: time.Hour,
		Labels: map[string]string{"run_id": "r1", "scenario": "s", "shard": "all"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(context.Background())
	c.Add(41)
	h.Observe(0.5)
	c.Inc()
	st := p.Close(context.Background())
	got := rc.received()
	if len(got) != 2 || st.Pushes != 2 || st.Dropped != 0 || st.Failed != 0 {
		t.Fatalf("%d requests received, stats %+v", len(got), st)
	}
	last := got[len(got)-1]
	if st.Samples != samples(got[0])+samples(last) {
		t.Errorf("stats count %d samples, the receiver got %d", st.Samples, samples(got[0])+samples(last))
	}
	ts, ok := sample(last, "t_requests_total")
	if !ok || ts.Samples[0].Value != 42 {
		t.Fatalf("counter %+v", ts)
	}
	names := []string{}
	for _, l := range ts.Labels {
		names = append(names, l.Name+"="+l.Value)
	}
	if want := []string{"__name__=t_requests_total", "run_id=r1", "scenario=s", "shard=all"}; !slices.Equal(names, want) {
		t.Errorf("labels %v, want %v (sorted)", names, want)
	}
	for _, n := range []string{"t_duration_seconds_bucket", "t_duration_seconds_sum", "t_duration_seconds_count"} {
		if _, ok := sample(last, n); !ok {
			t.Errorf("no %s", n)
		}
	}
	if ts, _ := sample(last, "t_duration_seconds_count"); ts.Samples[0].Value != 1 {
		t.Errorf("histogram count %+v", ts)
	}
	// Every bucket, +Inf included (histogram_quantile needs it).
	var les []string
	for _, ts := range last.Timeseries {
		for _, l := range ts.Labels {
			if l.Name == "le" {
				les = append(les, l.Value)
			}
		}
	}
	if !slices.Equal(les, []string{"0.1", "1", "+Inf"}) {
		t.Errorf("buckets le=%v, want 0.1, 1, +Inf", les)
	}
	if len(last.Metadata) == 0 {
		t.Error("no metadata")
	}
}

// A receiver that fails with 5xx is tried again with backoff.
func TestRetries(t *testing.T) {
	rc := &receiver{hook: func(w http.ResponseWriter, n int) bool {
		if n <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return true
		}
		return false
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	reg, _, _ := newRegistry()
	p, err := New(Config{URL: srv.URL, Gatherer: reg, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(context.Background())
	st := p.Close(context.Background())
	if st.Pushes != 2 || st.Failed != 0 || len(rc.received()) != 2 {
		t.Errorf("stats %+v, %d received", st, len(rc.received()))
	}
}

// While the receiver is stuck, a full queue drops requests and counts
// their samples; nothing waits for the receiver but Close.
func TestFullQueueDrops(t *testing.T) {
	release := make(chan struct{})
	inside := make(chan struct{}, 1)
	rc := &receiver{hook: func(w http.ResponseWriter, n int) bool {
		if n == 1 {
			inside <- struct{}{}
			<-release
		}
		return false
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	reg, _, _ := newRegistry()
	p, err := New(Config{URL: srv.URL, Gatherer: reg, Interval: time.Hour, Buffer: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(context.Background())
	<-inside         // the first push is held by the receiver
	p.enqueue(false) // fills the queue
	per := samples(shapeOf(t, reg))
	for range 3 {
		p.enqueue(false) // dropped
	}
	if got := p.Stats().Dropped; got != 3*per {
		t.Errorf("dropped %d samples, want %d", got, 3*per)
	}
	close(release)
	st := p.Close(context.Background())
	if st.Pushes != 3 || st.Dropped != 3*per || st.Failed != 0 {
		t.Errorf("stats %+v (%d samples a push)", st, per)
	}
}

// shapeOf is a request of the registry as it is now (to count its
// samples).
func shapeOf(t *testing.T, reg prometheus.Gatherer) *prompb.WriteRequest {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	req, err := toWriteRequest(mfs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// With no receiver at all, Close gives up at its deadline and counts
// what it could not send.
func TestCloseDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	reg, _, _ := newRegistry()
	p, err := New(Config{URL: "http://" + addr + "/api/v1/write", Gatherer: reg, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p.Start(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	st := p.Close(ctx)
	if st.Pushes != 0 || st.Samples != 0 || st.Failed == 0 || st.LastError == "" {
		t.Errorf("stats %+v", st)
	}
}

func TestConfigValidate(t *testing.T) {
	reg, _, _ := newRegistry()
	for _, c := range []struct {
		cfg  Config
		want []string
	}{
		{Config{URL: "127.0.0.1:9090", Gatherer: reg}, []string{"url"}},
		{Config{URL: "ftp://h/x", Gatherer: reg}, []string{"url"}},
		{Config{URL: "http://h/x"}, []string{"no gatherer"}},
		{Config{URL: "http://h/x", Gatherer: reg, Interval: -1}, []string{"negative"}},
		{Config{URL: "", Interval: -1}, []string{"url", "no gatherer", "negative"}},
	} {
		err := c.cfg.Validate()
		if err == nil {
			t.Errorf("%+v: no error", c.cfg)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %v lacks %q", c.cfg, err, w)
			}
		}
	}
}
