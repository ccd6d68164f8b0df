package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/reports/prom"
	"github.com/otasim/otasim/reports/remotewrite"
	"github.com/otasim/otasim/sim/results"
)

// The monitoring part of `otasim run`: --metrics-addr serves the run's
// live metrics for Prometheus to scrape, --out prometheus-rw=URL pushes
// them to a remote-write endpoint. run.go calls, in order:
//
//	flags:        runMetricsFlags()
//	outputs:      dir, rw, err := runOutputs(c)
//	flags:        rm, err := newRunMetrics(c, prom.Run{ID: runID, Scenario: sc.Name}, rw) (before the run folder is made)
//	before run:   err := rm.start(ctx); defer rm.close()
//	              cfg.Progress = rm.progress(cfg.Progress); cfg.ProgressTotals = rm.wanted()
//	after run:    finishRun calls rm.finish(ctx, run) once the verdict is whole (the last
//	              push; warnings go into the summary)

// outputPrefixRW marks a --out value that is a remote-write endpoint.
const outputPrefixRW = "prometheus-rw="

func runMetricsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "metrics-addr", Usage: "serve the run's live metrics (Prometheus exposition format) at http://`HOST:PORT`/metrics, e.g. 127.0.0.1:9464"},
		&cli.DurationFlag{Name: "metrics-linger", Value: 30 * time.Second, Usage: "after the run, keep --metrics-addr up until the next scrape has read the final values, at most this long (not at all when nothing scraped during the run)"},
		&cli.DurationFlag{Name: "remote-write-interval", Value: remotewrite.DefaultInterval, Usage: "how often --out prometheus-rw=URL pushes"},
	}
}

// runOutputs splits --out's values: prometheus-rw=URL values are
// remote-write endpoints, a plain value the run folder (at most one).
func runOutputs(c *cli.Context) (dir string, rw []string, err error) {
	for _, v := range c.StringSlice("out") {
		switch {
		case strings.HasPrefix(v, outputPrefixRW):
			rw = append(rw, strings.TrimPrefix(v, outputPrefixRW))
		case dir != "":
			return "", nil, cli.Exit(fmt.Sprintf("--out: two run folders (%q and %q); give one, plus any prometheus-rw=URL", dir, v), exitUsage)
		default:
			dir = v
		}
	}
	return dir, rw, nil
}

// runMetrics carries the exporter and the pushers through one run; nil
// when neither was asked for.
type runMetrics struct {
	stderr   io.Writer
	exp      *prom.Exporter
	addr     string
	linger   time.Duration
	interval time.Duration
	pushers  []*remotewrite.Pusher
	urls     []string

	serveStop context.CancelFunc
	serveDone chan error
	runCtx    context.Context  // done when the run was interrupted
	last      results.Progress // the last snapshot (the engine's goroutine writes it, finish reads it after the run)
}

// newRunMetrics validates the flags and makes the exporter and the
// pushers; nothing listens or pushes before start.
func newRunMetrics(c *cli.Context, run prom.Run, rw []string) (*runMetrics, error) {
	addr := c.String("metrics-addr")
	if addr == "" && len(rw) == 0 {
		return nil, nil
	}
	_, stderr := writers(c)
	var problems []string
	if p := addrProblem("metrics-addr", addr, "127.0.0.1:9464"); p != "" {
		problems = append(problems, p)
	}
	if c.Duration("metrics-linger") < 0 {
		problems = append(problems, "--metrics-linger must not be negative")
	}
	if c.Duration("remote-write-interval") <= 0 {
		problems = append(problems, "--remote-write-interval must be above 0")
	}
	m := &runMetrics{stderr: stderr, exp: prom.New(run), addr: addr, linger: c.Duration("metrics-linger"),
		interval: c.Duration("remote-write-interval"), urls: rw}
	for _, u := range rw {
		// The exporter's series carry the run's labels already.
		p, err := remotewrite.New(remotewrite.Config{URL: u, Gatherer: m.exp.Gatherer(), Interval: c.Duration("remote-write-interval")})
		if err != nil {
			problems = append(problems, "--out "+outputPrefixRW+u+": "+err.Error())
			continue
		}
		m.pushers = append(m.pushers, p)
	}
	if len(problems) > 0 {
		return nil, cli.Exit(strings.Join(problems, "\n"), exitUsage)
	}
	for _, p := range m.pushers {
		m.exp.Registerer().MustRegister(p)
	}
	return m, nil
}

// start serves --metrics-addr and starts the pushers. Safe on nil.
func (m *runMetrics) start(ctx context.Context) error {
	if m == nil {
		return nil
	}
	m.runCtx = ctx
	if m.addr != "" {
		ln, err := net.Listen("tcp", m.addr)
		if err != nil {
			return cli.Exit(fmt.Sprintf("--metrics-addr: %v", err), exitError)
		}
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		m.serveStop, m.serveDone = cancel, make(chan error, 1)
		go func() { m.serveDone <- m.exp.Serve(sctx, ln) }()
		fmt.Fprintf(m.stderr, "metrics: http://%s/metrics\n", ln.Addr())
	}
	for i, p := range m.pushers {
		p.Start(context.WithoutCancel(ctx))
		fmt.Fprintf(m.stderr, "remote write: %s every %v\n", m.urls[i], m.interval)
	}
	return nil
}

// wanted reports whether the run must fill its snapshots' totals.
func (m *runMetrics) wanted() bool { return m != nil }

// progress wraps the run's progress callback so the exporter holds every
// snapshot; next may be nil.
func (m *runMetrics) progress(next func(results.Progress)) func(results.Progress) {
	if m == nil {
		return next
	}
	return func(p results.Progress) {
		if next != nil {
			next(p)
		}
		m.last = p
		m.exp.Publish(p) // never blocks
	}
}

// finish publishes the run's last snapshot with the summary's whole
// verdict (a baseline comparison may have changed it since the engine
// took the snapshot), marks it final, pushes it once more, and adds a
// warning to the summary when samples were lost. Call it once the verdict
// is whole and before the summary is written.
func (m *runMetrics) finish(ctx context.Context, run *results.Run) {
	if m == nil {
		return
	}
	if last := m.last; last.Totals != nil {
		t := *last.Totals
		t.Targets, t.Verdict = run.Summary.Targets, run.Summary.Verdict
		last.Totals = &t
		m.exp.Publish(last)
	}
	m.exp.Finish()
	for i, p := range m.pushers {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		st := p.Close(cctx)
		cancel()
		fmt.Fprintf(m.stderr, "remote write: %d samples in %d pushes to %s", st.Samples, st.Pushes, m.urls[i])
		if st.Dropped+st.Failed > 0 {
			msg := fmt.Sprintf("remote write to %s lost %d samples (%d dropped with the queue full, %d not accepted): %s",
				m.urls[i], st.Dropped+st.Failed, st.Dropped, st.Failed, st.LastError)
			run.Summary.Warnings = append(run.Summary.Warnings, msg)
			fmt.Fprintf(m.stderr, "; %d dropped, %d failed (%s)", st.Dropped, st.Failed, st.LastError)
		}
		fmt.Fprintln(m.stderr)
	}
}

// close waits for a last scrape of the final values (see
// --metrics-linger), then stops the endpoint, and stops pushers a run
// that failed left running. Safe on nil.
func (m *runMetrics) close() {
	if m == nil {
		return
	}
	for _, p := range m.pushers {
		if !p.Closed() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			p.Close(ctx)
			cancel()
		}
	}
	if m.serveStop == nil {
		return
	}
	// Not after Ctrl-C: whoever stopped the run is not waiting for a
	// scraper.
	if m.exp.Finished() && m.linger > 0 && m.exp.Scrapes() > 0 && m.runCtx.Err() == nil {
		fmt.Fprintf(m.stderr, "metrics: waiting up to %v for a last scrape of the final values\n", m.linger)
		ctx, cancel := context.WithTimeout(context.Background(), m.linger)
		m.exp.WaitScrape(ctx)
		cancel()
	}
	m.serveStop()
	if err := <-m.serveDone; err != nil {
		fmt.Fprintln(m.stderr, "otasim:", err)
	}
	m.serveStop = nil
}
