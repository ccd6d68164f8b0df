package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/reports/prom"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/admin"
	"github.com/otasim/otasim/sim/collector"
	"github.com/otasim/otasim/sim/results"
)

func collectCommand() *cli.Command {
	return &cli.Command{
		Name:      "collect",
		Usage:     "collect a sharded run: start every shard at once, carry out the timeline, merge the results",
		ArgsUsage: "SCENARIO",
		Description: "Waits for the N shards (otasim run SCENARIO --shard I/N --collector URL ...) to\n" +
			"register, gives them one start instant for their virtual clocks, carries out the\n" +
			"scenario's timeline once against the target's admin API at the right virtual\n" +
			"times, serves the fleet's live progress (--dashboard, --metrics-addr, --out\n" +
			"prometheus-rw=URL), merges the shards' results exactly and judges the targets\n" +
			"once: one run folder, and the verdict's exit code. A shard that never registers,\n" +
			"dies, or falls behind makes the verdict INCONCLUSIVE, naming it.\n\n" +
			"Give the collector the same scenario, --seed, --devices, --speed and --duration\n" +
			"as the shards: it refuses shards of another run. Restarted with the same --out,\n" +
			"it resumes the run it was collecting (its state is in <out>/collector/).\n\n" +
			exitCodesHelp,
		Flags: append(append([]cli.Flag{
			&cli.IntFlag{Name: "shards", Usage: "the number of shards (required)"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:9470", Usage: "address the shards reach the collector at"},
			&cli.StringSliceFlag{Name: "out", Usage: "the merged run folder (default runs/<run-id>/); or prometheus-rw=URL, repeatable"},
			&cli.StringFlag{Name: "target", Usage: "base URL of the server the shards load (its admin API carries out the timeline)"},
			&cli.StringFlag{Name: "admin-url", Usage: "base URL of the target's admin API (default <target>)"},
			&cli.StringFlag{Name: "admin-token", EnvVars: []string{"OTASIM_ADMIN_TOKEN"}, Usage: "bearer token of the target's admin API; without it the shards record every step skipped"},
			&cli.DurationFlag{Name: "register-timeout", Value: collector.DefaultRegisterTimeout, Usage: "how long to wait for every shard to register; the run starts with those registered by then"},
			&cli.DurationFlag{Name: "grace", Value: collector.DefaultGrace, Usage: "how long after the virtual clock's end to wait for the shards' results"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
			&cli.BoolFlag{Name: "json", Usage: "print summary.json to stdout (the table goes to stderr)"},
		}, append(runReportFlags(), runShapeFlags("as given to the shards")...)...), runMetricsFlags()...),
		Action: runCollect,
	}
}

func runCollect(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("collect takes the run's scenario (a bundled name or a file)", exitUsage)
	}
	if c.Int("shards") < 1 {
		return cli.Exit("--shards N is required (the number of shards of the run)", exitUsage)
	}
	sc, err := scenarios.Load(c.Args().First())
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	if msg := strings.Join(flagValueProblems(c), "; "); msg != "" {
		return cli.Exit(msg, exitUsage)
	}
	out, rw, err := runOutputs(c)
	if err != nil {
		return err
	}
	runID := newRunID()
	if out == "" {
		out = filepath.Join("runs", runID)
	}
	if _, err := os.Stat(filepath.Join(out, results.SummaryFile)); err == nil {
		return cli.Exit(fmt.Sprintf("run folder %s already holds a run; choose another --out", out), exitUsage)
	}
	ad, err := collectorAdmin(c, sc)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, stderr := writers(c)
	rm, err := newRunMetrics(c, prom.Run{ID: runID, Scenario: sc.Name, Shard: "all"}, rw) // the whole fleet
	if err != nil {
		return err
	}
	rr, err := startRunReports(ctx, c, sc, runID)
	if err != nil {
		return err
	}
	defer rr.close()
	var progress func(results.Progress)
	if !c.Bool("quiet") {
		progress = progressPrinter(stderr, isTerminal(stderr))
	}
	progress = rm.progress(rr.progress(progress))
	if err := rm.start(ctx); err != nil {
		return err
	}
	defer rm.close()

	want := runRegistration(sc, c.Uint64("seed"), c.Int("devices"), c.Float64("speed"), c.Duration("duration"), c.Int("shards"))
	col, err := collector.New(collector.Config{Scenario: sc, Want: want, Admin: ad, RunID: runID,
		RegisterTimeout: c.Duration("register-timeout"), Grace: c.Duration("grace"),
		StateDir: filepath.Join(out, "collector"), Progress: progress,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	ln, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return cli.Exit(fmt.Sprintf("--listen: %v", err), exitError)
	}
	srv := &http.Server{Handler: col.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(stderr, "otasim collect %s: %d shards, %d devices, %s virtual at speed %g; listening on http://%s\n",
		sc.Name, want.Count, want.Devices, durationOf(sc, c.Duration("duration")), want.Speed, ln.Addr())
	run, err := col.Run(ctx)
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	return finishRun(ctx, c, out, run, rr, rm, printSummary)
}

// collectorAdmin is the admin client that carries out the timeline (nil
// without a token).
func collectorAdmin(c *cli.Context, sc *scenarios.Scenario) (*admin.Client, error) {
	base := firstNonEmpty(c.String("admin-url"), sc.Target.AdminURL, strings.TrimRight(c.String("target"), "/"))
	tok := c.String("admin-token")
	if tok == "" || base == "" {
		if len(sc.Timeline) > 0 {
			_, stderr := writers(c)
			fmt.Fprintln(stderr, "collect: no --target/--admin-url and --admin-token: the timeline's steps will be recorded skipped")
		}
		return nil, nil
	}
	ad, err := admin.New(base, tok, nil)
	if err != nil {
		return nil, cli.Exit(err.Error(), exitUsage)
	}
	return ad, nil
}
