package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/reports"
	"github.com/otasim/otasim/reports/baseline"
	"github.com/otasim/otasim/reports/dashboard"
	"github.com/otasim/otasim/reports/history"
	"github.com/otasim/otasim/reports/html"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/verdict"
)

// The reports' part of `otasim run`: report.html and junit.xml in the run
// folder, the run recorded in the history, --baseline and --dashboard.
// run.go calls, in order:
//
//	flags:        Flags: append([]cli.Flag{...}, runReportFlags()...)
//	before run:   rr, err := startRunReports(ctx, c, sc, runID); defer rr.close()
//	              cfg.Progress = rr.progress(cfg.Progress)
//	before write: rr.judgeBaseline(run)   (the regressions join the verdict)
//	after write:  err := rr.finish(ctx, out, run, tableTo)
//	exit:         writeErr, then err, then the verdict.

// runReportFlags are the flags of `otasim run` the reports own.
func runReportFlags() []cli.Flag {
	return []cli.Flag{
		runsDBFlag(),
		&cli.BoolFlag{Name: "no-history", Usage: "do not record the run in the run history"},
		echartsFlag(),
		&cli.StringFlag{Name: "baseline", Usage: "compare with a stored run (a run folder, an id, latest or latest~N: latest is the newest run of the same scenario whose verdict was PASS); a metric that regresses beyond its tolerance makes the run FAIL (exit 3), and it is stored so"},
		&cli.StringSliceFlag{Name: "tolerance", Usage: "override a baseline tolerance: METRIC=20% (relative), METRIC=5 (absolute) or METRIC=20%,5; repeat for more (docs/reports.md lists the metrics and defaults)"},
		&cli.StringFlag{Name: "dashboard", Usage: "serve a live dashboard of the run at this address, e.g. 127.0.0.1:8089"},
	}
}

// runReports carries the reports' state through one run.
type runReports struct {
	stderr    io.Writer
	opts      html.Options
	dbPath    string
	noHistory bool
	hash      string

	base    *results.Run // nil: no baseline
	baseID  string
	over    baseline.Overrides
	verdict *baseline.Verdict // the comparison, once judged

	dash     *dashboard.Server
	dashDone chan error
	dashStop context.CancelFunc
	last     atomic.Pointer[results.Progress]
	once     sync.Once
}

// startRunReports validates the reports' flags, loads the baseline (so a
// bad one fails before the run, not after) and starts the dashboard.
func startRunReports(ctx context.Context, c *cli.Context, sc *scenarios.Scenario, runID string) (*runReports, error) {
	_, stderr := writers(c)
	r := &runReports{stderr: stderr, dbPath: c.String("runs-db"), noHistory: c.Bool("no-history"), hash: sc.Hash()}
	var problems []string
	opts, err := echartsOptions(c)
	if err != nil {
		problems = append(problems, "--echarts-js: "+err.Error())
	}
	r.opts = opts
	r.over, err = baseline.ParseOverrides(c.StringSlice("tolerance"))
	if err != nil {
		problems = append(problems, err.Error())
	}
	if r.dbPath == "" && !r.noHistory {
		problems = append(problems, "--runs-db must not be empty (use --no-history to skip the history)")
	}
	addr := c.String("dashboard")
	if p := addrProblem("dashboard", addr, "127.0.0.1:8089"); p != "" {
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return nil, cli.Exit(strings.Join(problems, "\n"), exitUsage)
	}
	if ref := c.String("baseline"); ref != "" {
		if err := r.loadBaseline(ctx, ref, sc.Name, runID); err != nil {
			return nil, err
		}
	}
	if addr != "" {
		if err := r.startDashboard(ctx, addr, sc.Name+" · "+runID); err != nil {
			return nil, cli.Exit(err.Error(), exitError)
		}
	}
	return r, nil
}

func (r *runReports) loadBaseline(ctx context.Context, ref, scenario, runID string) error {
	if ref == "latest" {
		db, err := history.Open(ctx, r.dbPath)
		if errors.Is(err, history.ErrNoHistory) {
			fmt.Fprintf(r.stderr, "baseline: none yet (%v): this run will be the first\n", err)
			return nil
		}
		if err != nil {
			return cli.Exit("--baseline: "+err.Error(), exitError)
		}
		defer db.Close()
		id, err := db.Resolve(ctx, "latest", history.Scope{Scenario: scenario, Exclude: runID, Verdict: results.VerdictPass})
		if errors.Is(err, history.ErrNotFound) {
			fmt.Fprintf(r.stderr, "baseline: none yet (no run of %s with verdict PASS in %s): this run will be the first\n", scenario, r.dbPath)
			return nil
		}
		if err != nil {
			return cli.Exit("--baseline: "+err.Error(), exitError)
		}
		run, _, err := db.Load(ctx, id)
		if err != nil {
			return cli.Exit("--baseline: "+err.Error(), exitError)
		}
		r.base, r.baseID = run, id
		return nil
	}
	sr, err := loadStoredRun(ctx, r.dbPath, ref)
	if err != nil {
		return cli.Exit("--baseline: "+err.Error(), exitError)
	}
	r.base, r.baseID = sr.run, sr.id
	return nil
}

func (r *runReports) startDashboard(ctx context.Context, addr, title string) error {
	d, err := dashboard.New(dashboard.Config{Title: title, ECharts: r.opts.ECharts})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--dashboard: %w", err)
	}
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.dash, r.dashStop, r.dashDone = d, cancel, make(chan error, 1)
	go func() { r.dashDone <- d.Serve(dctx, ln) }()
	fmt.Fprintf(r.stderr, "dashboard: http://%s/\n", ln.Addr())
	return nil
}

// progress wraps the run's progress callback so the dashboard sees every
// snapshot; next may be nil (--quiet).
func (r *runReports) progress(next func(results.Progress)) func(results.Progress) {
	if r == nil || r.dash == nil {
		return next
	}
	return func(p results.Progress) {
		if next != nil {
			next(p)
		}
		r.last.Store(&p)
		r.dash.Publish(p) // never blocks
	}
}

// judgeBaseline compares the run with its baseline, when it has one and
// was not interrupted, and adds the regressions to the run's verdict, so
// that the verdict written and recorded is the whole one.
func (r *runReports) judgeBaseline(run *results.Run) {
	if r == nil || r.base == nil || run.Summary.Interrupted {
		return
	}
	v := baseline.Check(&r.base.Summary, &run.Summary, r.over)
	r.verdict = &v
	run.Summary.Baseline = v.Result()
	verdict.Decide(&run.Summary)
}

// finish runs after the run folder is written: report.html and junit.xml,
// the history, the baseline table. It prints what it did to w (the
// summary's writer) and returns an error with exit code 1 when an
// artifact could not be written or recorded.
func (r *runReports) finish(ctx context.Context, out string, run *results.Run, w io.Writer) error {
	// An interrupted run is reported and recorded too.
	ctx = context.WithoutCancel(ctx)
	var errs []string
	if err := reports.WriteRunArtifacts(ctx, out, run, reports.Options{HTML: r.opts, Baseline: r.verdict}); err != nil {
		errs = append(errs, err.Error())
	} else {
		fmt.Fprintf(w, "report: %s\n", filepath.Join(out, reports.ReportFile))
	}
	if warn := r.opts.OfflineWarning(); warn != "" {
		fmt.Fprintln(r.stderr, "warning:", warn)
	}
	if !r.noHistory {
		if err := r.record(ctx, out, run); err != nil {
			errs = append(errs, err.Error())
		} else {
			fmt.Fprintf(w, "recorded in %s as %s (%s)\n", r.dbPath, run.Summary.RunID, run.Summary.Verdict)
		}
	}
	if r.dash != nil {
		final := results.Progress{}
		if p := r.last.Load(); p != nil {
			final = *p
		}
		final.VirtualS = run.Summary.VirtualSeconds
		final.Verdict, final.VerdictReasons = run.Summary.Verdict, run.Summary.VerdictReasons
		r.dash.Finish(final)
	}
	switch {
	case r.base != nil && r.verdict == nil:
		fmt.Fprintln(w, "baseline: not checked, the run was interrupted")
	case r.verdict != nil:
		fmt.Fprintln(w)
		if err := r.verdict.Write(w); err != nil {
			return err
		}
		if r.verdict.Regressed {
			fmt.Fprintf(w, "BASELINE: REGRESSED against %s (%d metrics beyond tolerance)\n", r.baseID, len(r.verdict.Regressions()))
		} else {
			fmt.Fprintf(w, "BASELINE: ok against %s\n", r.baseID)
		}
	}
	if len(errs) > 0 {
		return cli.Exit(strings.Join(errs, "\n"), exitError)
	}
	return nil
}

func (r *runReports) record(ctx context.Context, out string, run *results.Run) error {
	db, err := history.Create(ctx, r.dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	folder, err := filepath.Abs(out)
	if err != nil {
		folder = out
	}
	return db.Record(ctx, run, history.Meta{ScenarioHash: r.hash, Version: buildVersion(), Folder: folder})
}

// close stops the dashboard (after finish has told the browsers the run
// ended). Safe on nil and more than once.
func (r *runReports) close() {
	if r == nil {
		return
	}
	r.once.Do(func() {
		if r.dash != nil {
			r.dashStop()
			if err := <-r.dashDone; err != nil {
				fmt.Fprintln(r.stderr, "otasim:", err)
			}
		}
	})
}
