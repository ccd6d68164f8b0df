// Package remotewrite pushes what a Prometheus registry gathers to a
// Prometheus remote-write endpoint (protocol 1.0, snappy-compressed
// protobuf), every few seconds while a run goes and once more at its
// end.
//
// The wire is Prometheus' own: the client of
// github.com/prometheus/client_golang/exp/api/remote (retries with
// backoff, Retry-After) and the request types of
// github.com/prometheus/prometheus/prompb. Gathering and sending are apart:
// a bounded queue sits between them, so a slow or absent receiver never
// holds up the gathering (and the run never waits for either); a full
// queue drops the newest request and counts its samples.
package remotewrite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
)

// Defaults of Config.
const (
	DefaultInterval = 5 * time.Second
	DefaultBuffer   = 120 // ten minutes of pushes at the default interval
	DefaultTimeout  = 10 * time.Second
)

// Config configures a pusher.
type Config struct {
	// URL of the receiver, e.g. http://127.0.0.1:9090/api/v1/write.
	URL string
	// Gatherer is what is pushed (a registry).
	Gatherer prometheus.Gatherer
	// Labels go on every series pushed (run_id, scenario, shard).
	Labels map[string]string
	// Interval between pushes (default 5 s).
	Interval time.Duration
	// Buffer is how many requests may wait to be sent (default 120).
	Buffer int
	// Timeout bounds one attempt to send (default 10 s); a failed attempt
	// is retried with backoff (0.5 s doubling up to 5 s, 5 retries).
	Timeout time.Duration
	// Now is the clock of the samples' timestamps (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url %q: want http(s)://HOST[:PORT]/PATH, e.g. http://127.0.0.1:9090/api/v1/write", c.URL))
	}
	if c.Gatherer == nil {
		errs = append(errs, errors.New("no gatherer"))
	}
	if c.Interval < 0 || c.Buffer < 0 || c.Timeout < 0 {
		errs = append(errs, errors.New("interval, buffer and timeout must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remote write: %w", err)
	}
	return nil
}

// Stats are a pusher's counts so far.
type Stats struct {
	// Pushes and Samples the receiver accepted.
	Pushes, Samples int64
	// Dropped samples found the queue full; Failed ones were refused, or
	// not accepted after every retry.
	Dropped, Failed int64
	// LastError is the last failure, "" when none.
	LastError string
}

// Pusher pushes a gatherer's series. Start it once, Close it once.
type Pusher struct {
	cfg   Config
	api   *remote.API
	queue chan *prompb.WriteRequest

	pushes, sent, dropped, failed atomic.Int64
	mu                            sync.Mutex
	lastErr                       string

	stop       context.CancelFunc
	closed     atomic.Bool
	gatherDone chan struct{} // closed when the gathering loop ended
	senderDone chan struct{} // closed when the sender ended
	sendCtx    context.Context
	cancelTx   context.CancelFunc
	desc       *prometheus.Desc
}

// New validates cfg and returns a pusher.
func New(cfg Config) (*Pusher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Buffer == 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	api, err := remote.NewAPI(cfg.URL,
		remote.WithAPIPath(""), // the URL is the endpoint's whole address
		remote.WithAPIHTTPClient(&http.Client{Timeout: cfg.Timeout}),
		remote.WithAPIBackoff(remote.BackoffConfig{Min: 500 * time.Millisecond, Max: 5 * time.Second, MaxRetries: 5}),
		remote.WithAPILogger(cfg.Logger))
	if err != nil {
		return nil, fmt.Errorf("remote write: %w", err)
	}
	return &Pusher{cfg: cfg, api: api, queue: make(chan *prompb.WriteRequest, cfg.Buffer),
		desc: prometheus.NewDesc("otasim_remote_write_samples_total",
			"Samples pushed to the remote-write endpoint, by result: sent (accepted), dropped (the queue was full), failed (refused or not accepted after retries).",
			[]string{"result"}, nil)}, nil
}

// Start gathers and pushes every Interval until Close. ctx bounds the
// pusher's whole life (Close ends it earlier).
func (p *Pusher) Start(ctx context.Context) {
	gctx, stop := context.WithCancel(ctx)
	p.stop = stop
	p.sendCtx, p.cancelTx = context.WithCancel(context.WithoutCancel(ctx))
	p.gatherDone, p.senderDone = make(chan struct{}), make(chan struct{})
	go p.send()
	go func() {
		defer close(p.gatherDone)
		t := time.NewTicker(p.cfg.Interval)
		defer t.Stop()
		p.enqueue(false)
		for {
			select {
			case <-gctx.Done():
				return
			case <-t.C:
				p.enqueue(false)
			}
		}
	}()
}

// enqueue gathers and queues a request; wait (the final push) waits for
// room in the queue instead of dropping, until Close's deadline.
func (p *Pusher) enqueue(wait bool) {
	mfs, err := p.cfg.Gatherer.Gather()
	if err != nil {
		p.fail(fmt.Errorf("gather: %w", err)) // what was gathered is still pushed
	}
	req, err := toWriteRequest(mfs, p.cfg.Labels, p.cfg.Now().UnixMilli())
	if err != nil {
		p.fail(err)
		return
	}
	if wait {
		select {
		case p.queue <- req:
		case <-p.sendCtx.Done():
			p.dropped.Add(samples(req))
		}
		return
	}
	select {
	case p.queue <- req:
	default:
		p.dropped.Add(samples(req))
	}
}

// send writes queued requests in order, one at a time (remote write wants
// every series' samples in time order).
func (p *Pusher) send() {
	defer close(p.senderDone)
	for req := range p.queue {
		n := samples(req)
		if p.sendCtx.Err() != nil {
			p.failed.Add(n)
			continue
		}
		if _, err := p.api.Write(p.sendCtx, remote.WriteV1MessageType, req); err != nil {
			p.failed.Add(n)
			p.fail(err)
			continue
		}
		p.pushes.Add(1)
		p.sent.Add(n)
	}
}

func (p *Pusher) fail(err error) {
	p.mu.Lock()
	p.lastErr = err.Error()
	p.mu.Unlock()
	p.cfg.Logger.Warn("remote write", "err", err)
}

// Close stops the gathering, pushes the series once more (the run's final
// values), and waits until every queued request is sent or ctx is done
// (what is left then counts as failed). It returns the counts.
func (p *Pusher) Close(ctx context.Context) Stats {
	if p.closed.Swap(true) || p.stop == nil { // closed already, or never started
		return p.Stats()
	}
	p.stop()
	<-p.gatherDone
	stop := context.AfterFunc(ctx, p.cancelTx)
	defer stop()
	p.enqueue(true)
	close(p.queue)
	<-p.senderDone
	p.cancelTx()
	return p.Stats()
}

// Closed reports whether Close was called.
func (p *Pusher) Closed() bool { return p.closed.Load() }

// Stats are the counts so far.
func (p *Pusher) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Pushes: p.pushes.Load(), Samples: p.sent.Load(), Dropped: p.dropped.Load(), Failed: p.failed.Load(),
		LastError: p.lastErr}
}

// Describe and Collect expose the pusher's counts
// (otasim_remote_write_samples_total), for a registry to serve.
func (p *Pusher) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }

// Collect sends the counts.
func (p *Pusher) Collect(ch chan<- prometheus.Metric) {
	for _, r := range []struct {
		result string
		n      int64
	}{{"sent", p.sent.Load()}, {"dropped", p.dropped.Load()}, {"failed", p.failed.Load()}} {
		ch <- prometheus.MustNewConstMetric(p.desc, prometheus.CounterValue, float64(r.n), r.result)
	}
}
