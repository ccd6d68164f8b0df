// Package prom mirrors a running run as Prometheus metrics
// (github.com/prometheus/client_golang): requests by endpoint and
// outcome, latency histograms, CDN time per 5 MB, adoption per segment
// and bundle, installs and failures, the load generator's health, and
// each target's value and state.
//
// The exporter reads nothing of the engine: it is handed the run's
// progress snapshots (results.Progress with its cumulative
// results.Totals) and serves the latest one on every scrape. Publish
// never blocks the run. A collector of a sharded run feeds it the same
// way, with the shards' Totals added (results.Totals.Add).
package prom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/otasim/otasim/sim/results"
)

// Run identifies the run: its labels are on every series served.
type Run struct {
	ID       string
	Scenario string
	// Shard is "all" for series of the whole fleet: a run in one process,
	// or the collector of a sharded run.
	Shard string
}

// Labels are the run's identity as labels.
func (r Run) Labels() map[string]string {
	return map[string]string{"run_id": r.ID, "scenario": r.Scenario, "shard": r.Shard}
}

// Exporter serves a run's latest snapshot as Prometheus metrics. Every
// series carries the run's labels (run_id, scenario, shard), so a scraped
// run and a pushed one give the same series.
type Exporter struct {
	run      Run
	desc     map[string]*prometheus.Desc
	last     atomic.Pointer[results.Progress]
	finished atomic.Bool
	reg      *prometheus.Registry

	scrapes    atomic.Int64
	finalRead  chan struct{} // closed by the first scrape after Finish
	finalReadC sync.Once
}

// New returns an exporter of run, with the process's own metrics
// (process_*, go_*) beside the run's.
func New(run Run) *Exporter {
	if run.Shard == "" {
		run.Shard = "all"
	}
	x := &Exporter{run: run, desc: descs(), reg: prometheus.NewRegistry(), finalRead: make(chan struct{})}
	x.Registerer().MustRegister(x, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return x
}

// Registerer registers more collectors (remote write's own counts) with
// the run's labels.
func (x *Exporter) Registerer() prometheus.Registerer {
	return prometheus.WrapRegistererWith(x.run.Labels(), x.reg)
}

// Gatherer gathers every series served.
func (x *Exporter) Gatherer() prometheus.Gatherer { return x.reg }

// Run is the run the exporter serves.
func (x *Exporter) Run() Run { return x.run }

// Publish makes p the snapshot served. It never blocks; p and its
// Totals must not be changed afterwards.
func (x *Exporter) Publish(p results.Progress) { x.last.Store(&p) }

// Finish says the snapshot published last holds the run's final values
// (the run's last one, taken once its summary was made): it sets
// otasim_run_finished.
func (x *Exporter) Finish() { x.finished.Store(true) }

// Finished reports whether Finish was called.
func (x *Exporter) Finished() bool { return x.finished.Load() }

// Scrapes counts the scrapes served.
func (x *Exporter) Scrapes() int64 { return x.scrapes.Load() }

// WaitScrape waits until a scrape has read the final values (one that
// began after Finish), or ctx is done.
func (x *Exporter) WaitScrape(ctx context.Context) {
	select {
	case <-x.finalRead:
	case <-ctx.Done():
	}
}

// Handler serves the exposition format at any path (mount it at
// /metrics).
func (x *Exporter) Handler() http.Handler {
	h := promhttp.HandlerFor(x.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		final := x.finished.Load()
		h.ServeHTTP(w, r)
		x.scrapes.Add(1)
		if final {
			x.finalReadC.Do(func() { close(x.finalRead) })
		}
	})
}

// Serve serves /metrics on ln until ctx is done.
func (x *Exporter) Serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", x.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "otasim run %s (%s): metrics at /metrics\n", x.run.ID, x.run.Scenario)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// Describe sends every series' description.
func (x *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range x.desc {
		ch <- d
	}
}

// Collect sends the latest snapshot's values.
func (x *Exporter) Collect(ch chan<- prometheus.Metric) {
	p := x.last.Load()
	bundle := ""
	if p != nil {
		bundle = p.Bundle
	}
	m := emitter{ch: ch, desc: x.desc}
	m.gauge("otasim_run_info", 1, bundle)
	m.gauge("otasim_run_finished", boolValue(x.finished.Load()))
	if p == nil {
		return
	}
	m.gauge("otasim_virtual_time_seconds", p.VirtualS)
	m.gauge("otasim_virtual_duration_seconds", p.DurationS)
	m.gauge("otasim_devices", float64(p.Devices))
	m.gauge("otasim_in_flight_requests", float64(p.InFlight))
	m.gauge("otasim_target_lost", boolValue(p.TargetLostAtS != nil))
	if t := p.Totals; t != nil {
		collectTotals(&m, t)
		if t.Verdict != "" {
			for _, v := range verdicts() {
				m.gauge("otasim_run_verdict", boolValue(t.Verdict == v), string(v))
			}
		}
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
