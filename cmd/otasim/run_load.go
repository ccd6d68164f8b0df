package main

import (
	"context"
	"fmt"
	"io"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/load"
	"github.com/otasim/otasim/sim/population"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/verdict"
)

// runLoad runs the scenario's load profile instead of the rollout
// simulation: device checks of the scenario's fleet against cfg's
// endpoints, then the run folder and the summary as for a simulation.
// shutdown (may be nil) stops an in-process server once the load ends;
// rr writes the report, junit.xml and the history entry, and rm (may be
// nil) exports the live metrics, as for a simulation.
func runLoad(ctx context.Context, c *cli.Context, sc *scenarios.Scenario, cfg *sim.Config, out string, shutdown func() error,
	rr *runReports, rm *runMetrics, folder *runFolder) error {
	_, stderr := writers(c)
	stop := func() {
		if shutdown != nil {
			if err := shutdown(); err != nil {
				fmt.Fprintln(stderr, "otasim: stopping the reference server:", err)
			}
			shutdown = nil
		}
	}
	defer stop()

	seed := sc.Run.Seed
	if cfg.Seed != 0 {
		seed = cfg.Seed
	}
	pop, err := population.New(sc, seed, cfg.Devices)
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	if cfg.Admin != nil {
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		_, err := cfg.Admin.Setup(sctx, sc, nil)
		cancel()
		if err != nil {
			return cli.Exit(fmt.Sprintf("set up the server: %v", err), exitError)
		}
	}
	workers := sc.Run.Workers
	// One connection per worker: a worker waiting for a connection would
	// count the wait as service time.
	timeout := sc.Run.ResponseTimeout.D()
	if cfg.ResponseTimeout > 0 {
		timeout = cfg.ResponseTimeout
	}
	cl, err := client.New(client.Config{Endpoints: cfg.Endpoints, Connections: max(sc.Run.Connections, workers), ResponseTimeout: timeout,
		Dial: cfg.Dial})
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	defer cl.Close()

	l := sc.Load
	lc := load.Config{Profile: l.Profile, Rate: l.Rate, Duration: l.Duration.D(), Sender: cl,
		ResponseTimeout: timeout,
		Devices:         load.NewFleet(pop, sc.App.ID), Workers: workers}
	if cfg.Duration > 0 && l.Profile != scenarios.ProfileRamping {
		lc.Duration = cfg.Duration
	}
	for _, st := range l.Stages {
		lc.Stages = append(lc.Stages, load.Stage{Target: st.Target, Duration: st.Duration.D()})
	}
	var show func(load.Progress)
	if !c.Bool("quiet") {
		show = loadProgress(stderr, isTerminal(stderr))
	}
	publish := rm.progress(nil) // nil without monitoring
	if show != nil || publish != nil {
		lc.Progress = func(p load.Progress) {
			if show != nil {
				show(p)
			}
			if publish != nil {
				publish(loadSnapshot(p, pop.N, nil))
			}
		}
	}
	if w := verdict.NewWatch(sc.TargetSpecs()); w != nil {
		lc.Abort = func(p load.Progress) string { return w.Check(liveLoadSummary(p), p.Elapsed.Seconds()) }
	}
	if !c.Bool("quiet") {
		fmt.Fprintf(stderr, "otasim run %s: load profile %s against %s, %d devices, %d workers\n", sc.Name,
			describeLoad(l, lc.Duration), describeServer(&cfg.Server), pop.N, workers)
	}
	started := time.Now()
	res, err := load.Run(ctx, lc)
	stop()
	if isTerminal(stderr) && !c.Bool("quiet") {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	run, err := loadRun(sc, cfg, seed, pop.N, started, res)
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	folder.keep()
	if publish != nil { // the exported series end with the summary's counts
		publish(loadSnapshot(res.Final, pop.N, res))
	}
	return finishRun(ctx, c, out, run, rr, rm, printLoadSummary)
}

// liveLoadSummary is what a load run's targets read, from a progress
// snapshot: /updates' requests, failures and mean latency so far.
func liveLoadSummary(p load.Progress) *results.Summary {
	done := p.OK + p.Failed
	e := results.Endpoint{Count: done, Errors: p.Failed}
	e.Outcomes[results.OutcomeSuccess] = p.OK
	e.Outcomes[results.OutcomeNetworkError] = p.Failed // the class does not matter to a target
	if done > 0 {
		e.ErrorRate = float64(p.Failed) / float64(done)
	}
	if p.OK > 0 {
		mean := p.Latency.Sum * 1e3 / float64(p.OK)
		e.MeanMs = &mean
	}
	return &results.Summary{Load: &results.Load{}, API: map[string]results.Endpoint{"updates": e}}
}

func describeLoad(l *scenarios.LoadProfile, d time.Duration) string {
	switch l.Profile {
	case scenarios.ProfileConstant:
		return fmt.Sprintf("constant %g/s for %v", l.Rate, d)
	case scenarios.ProfileRamping:
		if len(l.Stages) == 1 {
			return fmt.Sprintf("ramping from %g/s to %g/s over %v", l.Rate, l.Stages[0].Target, l.Stages[0].Duration.D())
		}
		return fmt.Sprintf("ramping from %g/s through %d stages", l.Rate, len(l.Stages))
	}
	return fmt.Sprintf("max for %v", d)
}

// loadProgress prints a load test's progress: one redrawn line on a
// terminal, a plain line every 5 s otherwise.
func loadProgress(w io.Writer, tty bool) func(load.Progress) {
	var lastSent int64
	var lastAt time.Duration
	var lastLine time.Time
	return func(p load.Progress) {
		rps := 0.0
		if dt := p.Elapsed - lastAt; dt > 0 {
			rps = float64(p.Sent-lastSent) / dt.Seconds()
		}
		lastSent, lastAt = p.Sent, p.Elapsed
		line := fmt.Sprintf("%.0f/%.0f s  %.0f req/s  sent %d  failed %d  late %d  dropped %d  in flight %d",
			p.Elapsed.Seconds(), p.Length.Seconds(), rps, p.Sent, p.Failed, p.Late, p.Dropped, p.InFlight)
		if p.LostAtS != nil {
			line += fmt.Sprintf("  TARGET LOST at %.0f s", *p.LostAtS)
		}
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
			return
		}
		if now := time.Now(); now.Sub(lastLine) >= 5*time.Second {
			lastLine = now
			fmt.Fprintln(w, line)
		}
	}
}

// loadRun fills the run folder's files from a load test: the load section,
// /updates by outcome (latencies of the successful replies) and the
// harness in the summary, the verdict, the histograms, and requests per
// second as the series.
func loadRun(sc *scenarios.Scenario, cfg *sim.Config, seed uint64, devices int, started time.Time, res *load.Result) (*results.Run, error) {
	ls := res.Summary()
	ep := results.Endpoint{Count: res.Outcomes.Total(), Errors: res.Outcomes.Failed(), ErrorRate: results.ErrorRate(res.Outcomes),
		Outcomes: res.Outcomes, Service: &ls.ServiceMs, ByStatus: ls.ByStatus}
	ep.SetLatency(ls.LatencyMs)
	if ep.Errors > 0 {
		failed := load.Quantiles(res.FailedTime)
		ep.Failed, ep.Causes = &failed, res.Causes
	}
	s := results.Summary{RunID: cfg.RunID, Scenario: sc.Name, ScenarioSource: sc.Source, Seed: seed, Devices: devices,
		Speed: 1, VirtualSeconds: res.Wall.Seconds(), WallSeconds: time.Since(started).Seconds(), Interrupted: res.Interrupted,
		StartedAt: started.UTC().Format(time.RFC3339), VirtualEpoch: started.UTC().Format(time.RFC3339), Server: cfg.Server,
		API: map[string]results.Endpoint{"updates": ep}, Load: &ls, TargetLost: res.Outages, AbortedBy: res.Aborted,
		Harness: results.Harness{ScheduleLagP99Ms: ls.ScheduleLagMs.P99, ScheduleLagMaxMs: ls.ScheduleLagMs.Max,
			LateEvents: res.Late, LateBoundMs: ls.LateBoundMs, DroppedEvents: res.Dropped + res.Unsent, Events: res.Due,
			Requests: res.Sent, PeakInFlight: res.PeakInFlight, Workers: res.Workers, Connections: res.Workers,
			CPUSeconds: res.CPU.Seconds(), FellBehind: ls.Saturated, Reasons: ls.Reasons, Abandoned: res.Cut},
		Warnings: []string{}, SkippedActions: []results.ActionResult{}}
	for _, r := range ls.Reasons {
		s.Warnings = append(s.Warnings, "generator saturated: "+r)
	}
	if l := sc.Load; l.Profile == scenarios.ProfileMax && ls.CPUShare >= 0.9 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("the process used %.0f%% of the CPU: a max profile measures the generator and the server together", 100*ls.CPUShare))
	}
	s.Targets = verdict.Targets(sc.TargetSpecs(), &s)
	verdict.Decide(&s)
	run := &results.Run{Summary: s, Histograms: results.Histograms{Histograms: map[string]results.Histogram{}}}
	for _, x := range []struct {
		name string
		h    *hdrhistogram.Histogram
	}{{"api.updates.latency", res.Latency}, {"api.updates.service", res.Service}, {"api.updates.failed", res.FailedTime},
		{"schedule_lag", res.Lag}} {
		if x.h.TotalCount() == 0 {
			continue
		}
		enc, err := results.Encode(x.h, "us")
		if err != nil {
			return nil, err
		}
		run.Histograms.Histograms[x.name] = enc
	}
	run.Series.SampleEveryS = 1
	for i, sec := range res.PerSecond {
		run.Series.T = append(run.Series.T, float64(i+1))
		run.Series.Requests = append(run.Series.Requests, sec.Sent)
		run.Series.RequestsPerS = append(run.Series.RequestsPerS, float64(sec.Sent))
	}
	return run, nil
}

// printLoadSummary prints a load test's figures and where the files are.
func printLoadSummary(w io.Writer, s *results.Summary, dir string) {
	l := s.Load
	fmt.Fprintf(w, "\n%s: load profile %s, %d devices, %d workers, %.1f s", s.Scenario, l.Profile, s.Devices, l.Workers, l.WallS)
	if s.Interrupted {
		fmt.Fprint(w, "  INTERRUPTED")
	}
	fmt.Fprintln(w)
	if l.Profile != scenarios.ProfileMax {
		fmt.Fprintf(w, "requests: %d scheduled, %d due, %d sent, %d late (> %g ms), %d dropped, %d unsent, %d cut, %d failed\n",
			l.Scheduled, l.Due, l.Sent, l.Late, l.LateBoundMs, l.Dropped, l.Unsent, l.Cut, l.Failed)
		fmt.Fprintf(w, "rate: intended %.1f/s, achieved %.1f/s\n", l.IntendedRPS, l.AchievedRPS)
	} else {
		fmt.Fprintf(w, "requests: %d sent, %d failed, %d cut; achieved %.1f/s\n", l.Sent, l.Failed, l.Cut, l.AchievedRPS)
	}
	q := func(name string, x results.Quantiles) {
		if x.Count == 0 {
			fmt.Fprintf(w, "%-28s —  (n=0)\n", name)
			return
		}
		fmt.Fprintf(w, "%-28s p50 %8.3f ms  p90 %8.3f ms  p99 %8.3f ms  max %8.3f ms  (n=%d)\n", name, x.P50, x.P90, x.P99, x.Max, x.Count)
	}
	if e, ok := s.API["updates"]; ok {
		fmt.Fprintln(w, endpointLine("updates", e))
	}
	q("latency (intended time):", l.LatencyMs)
	q("service time:", l.ServiceMs)
	if l.Profile != scenarios.ProfileMax {
		q("schedule lag:", l.ScheduleLagMs)
	}
	fmt.Fprintf(w, "status: %s; generator CPU %.1f s (%.0f%% of the machine)\n", fmtCounts(l.ByStatus), l.CPUSeconds, 100*l.CPUShare)
	for _, o := range s.TargetLost {
		fmt.Fprintf(w, "TARGET LOST at %.0f s (%d failures)\n", o.LostAtS, o.Failures)
	}
	for _, warn := range s.Warnings {
		fmt.Fprintln(w, "WARNING:", warn)
	}
	fmt.Fprintln(w)
	var judged []results.TargetResult
	for _, t := range s.Targets {
		if t.Status != results.StatusNA { // a load run only checks /updates
			judged = append(judged, t)
		}
	}
	printTargets(w, judged)
	fmt.Fprintf(w, "\nrun folder: %s (summary.json, series.json, histograms.json)\n", dir)
}
