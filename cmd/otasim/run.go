package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reports/prom"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim"
	"github.com/otasim/otasim/sim/admin"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/load"
	"github.com/otasim/otasim/sim/population"
	"github.com/otasim/otasim/sim/results"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a scenario: a fleet of virtual devices through a rollout timeline",
		ArgsUsage: "SCENARIO (a bundled name or a YAML file)",
		Description: "Without --target, starts the reference server in-process on 127.0.0.1 (its\n" +
			"SQLite file in the run folder) and drives the timeline through its admin API.\n" +
			"With --target URL (or --updates-url, --stats-url, --channel-url), runs against\n" +
			"another Capgo-compatible server; timeline actions it cannot carry out (no\n" +
			"--admin-token) are skipped and listed.\n\n" +
			"Writes summary.json, series.json and histograms.json to --out, prints every\n" +
			"target and the run's verdict (PASS, FAIL or INCONCLUSIVE, with its reasons).\n" +
			"Flags may come before or after the scenario. Ctrl-C stops the run and\n" +
			"writes a partial summary (INCONCLUSIVE unless a target already failed).\n\n" + exitCodesHelp,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "target", Usage: "base URL of a Capgo-compatible server (default: the in-process reference server)"},
			&cli.StringFlag{Name: "updates-url", Usage: "URL of /updates (default <target>/updates)"},
			&cli.StringFlag{Name: "stats-url", Usage: "URL of /stats (default <target>/stats)"},
			&cli.StringFlag{Name: "channel-url", Usage: "URL of /channel_self (default <target>/channel_self)"},
			&cli.StringFlag{Name: "admin-url", Usage: "base URL of the target's admin API (default <target>)"},
			&cli.StringFlag{Name: "admin-token", EnvVars: []string{"OTASIM_ADMIN_TOKEN"}, Usage: "bearer token of the target's admin API; without it the timeline is skipped"},
			&cli.StringFlag{Name: "transport", Value: transportMemory, Usage: "how the devices reach the in-process server: memory (an in-memory listener, the same HTTP bytes through the same handlers) or tcp (loopback sockets); a --target is always reached over TCP"},
			&cli.StringSliceFlag{Name: "out", Usage: "run folder (default runs/<run-id>/); or an output to stream the run's metrics to: prometheus-rw=URL (a Prometheus remote-write endpoint, e.g. prometheus-rw=http://127.0.0.1:9090/api/v1/write); repeat for more"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the population and schedule (default: the scenario's)"},
			&cli.IntFlag{Name: "devices", Usage: "number of devices (default: the scenario's)"},
			&cli.Float64Flag{Name: "speed", Usage: "virtual seconds per real second; 1 is real time (default: the scenario's)"},
			&cli.DurationFlag{Name: "duration", Usage: "virtual duration of the run (default: the scenario's)"},
			&cli.DurationFlag{Name: "response-timeout", Usage: "how long a device waits for a reply, or a download for its next byte, in real time: the plugin's responseTimeout; Android's API calls wait 10 s, or this when shorter (default: the scenario's run.response_timeout, 20s)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
			&cli.BoolFlag{Name: "json", Usage: "print summary.json to stdout (the table goes to stderr)"},
			&cli.StringFlag{Name: "cpu-profile", Usage: "write a CPU profile of the run (pprof) to this file"},
			&cli.StringFlag{Name: "mem-profile", Usage: "write a heap profile (pprof), taken when the clock reaches the end with the whole fleet in memory, to this file"},
			&cli.StringFlag{Name: "pprof-addr", Usage: "serve the runtime's profiles while the run lasts at http://`HOST:PORT`/debug/pprof/ (net/http/pprof), e.g. 127.0.0.1:6060: a CPU profile or an execution trace of a window of a long run (/debug/pprof/trace?seconds=3)"},
		}, append(append(runReportFlags(), runMetricsFlags()...), runShardFlags()...)...),
		Action: runRun,
	}
}

func newRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func runRun(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("run takes one scenario (a bundled name or a file); see 'otasim scenarios list'", exitUsage)
	}
	sc, err := scenarios.Load(c.Args().First())
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	if msg := runFlagProblems(c, sc); msg != "" {
		return cli.Exit(msg, exitUsage)
	}
	runID := newRunID()
	out, rw, err := runOutputs(c)
	if err != nil {
		return err
	}
	// Monitoring (run_metrics.go): --metrics-addr, --out prometheus-rw=URL.
	rm, err := newRunMetrics(c, prom.Run{ID: runID, Scenario: sc.Name, Shard: shardLabel(c)}, rw)
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join("runs", runID)
	}
	for _, f := range []string{results.SummaryFile, "server.db"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			return cli.Exit(fmt.Sprintf("run folder %s already holds a run (%s); choose another --out", out, f), exitUsage)
		}
	}

	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := sim.Config{
		Scenario: sc, RunID: runID, Devices: c.Int("devices"), Speed: c.Float64("speed"),
		Duration: c.Duration("duration"), Seed: c.Uint64("seed"), ResponseTimeout: c.Duration("response-timeout"),
	}
	_, stderr := writers(c)
	if !c.Bool("quiet") {
		cfg.Progress = progressPrinter(stderr, isTerminal(stderr))
	}
	// Reports (run_reports.go): flags, baseline, dashboard.
	rr, err := startRunReports(ctx, c, sc, runID)
	if err != nil {
		return err
	}
	defer rr.close()
	cfg.Progress = rr.progress(cfg.Progress)
	if err := rm.start(ctx); err != nil {
		return err
	}
	defer rm.close()
	cfg.Progress, cfg.ProgressTotals = rm.progress(cfg.Progress), rm.wanted()

	external := isExternal(c, sc)
	if err := configureShard(c, sc, &cfg, external); err != nil { // run_shard.go
		return err
	}
	link, err := linkCollector(c, sc, &cfg)
	if err != nil {
		return err
	}
	if external {
		if err := externalTarget(c, sc, &cfg); err != nil {
			return err
		}
		if err := probeTarget(ctx, sc, &cfg); err != nil {
			return cli.Exit(err.Error(), exitError)
		}
	}
	// The run folder exists from here on; a run that does not start
	// leaves none behind (one that was there already is left as it was).
	folder, err := newRunFolder(out)
	if err != nil {
		return cli.Exit(fmt.Sprintf("run folder: %v", err), exitError)
	}
	defer folder.removeUnlessKept()
	var shutdown func() error
	if !external {
		shutdown, err = inProcess(ctx, out, c.String("transport"), &cfg)
		if err != nil {
			return cli.Exit(err.Error(), exitError)
		}
	}

	if !c.Bool("quiet") && sc.Load == nil { // a load run prints its own
		fmt.Fprintf(stderr, "otasim run %s: %s, %s virtual at speed %g, server %s\n",
			sc.Name, describeFleet(sc, &cfg), durationOf(sc, cfg.Duration), speedOf(sc, cfg.Speed), describeServer(&cfg.Server))
	}
	stopProfiles, err := startProfiles(c, &cfg)
	if err != nil {
		return err
	}
	defer stopProfiles()
	if sc.Load != nil { // a plain load test instead of the rollout simulation
		return runLoad(ctx, c, sc, &cfg, out, shutdown, rr, rm, folder)
	}
	link.start(ctx)
	run, runErr := sim.Run(ctx, cfg)
	if shutdown != nil {
		if err := shutdown(); err != nil {
			fmt.Fprintln(stderr, "otasim: stopping the reference server:", err)
		}
	}
	if isTTY := isTerminal(stderr); isTTY && !c.Bool("quiet") {
		fmt.Fprintln(stderr)
	}
	if runErr != nil {
		link.finish(ctx, nil, runErr)
		return cli.Exit(runErr.Error(), exitError)
	}
	folder.keep()
	err = finishRun(ctx, c, out, run, rr, rm, printSummary)
	return link.exit(ctx, run, err) // a shard of a collected run: the collector's verdict is the run's
}

// runFlagProblems checks the run's flags: a numeric value given must make
// sense (0 is not a speed), the transport must be one there is and reach
// the server the run uses.
func runFlagProblems(c *cli.Context, sc *scenarios.Scenario) string {
	var problems []string
	transport := c.String("transport")
	if transport != transportMemory && transport != transportTCP {
		problems = append(problems, fmt.Sprintf("--transport %q: want memory or tcp", transport))
	}
	if isExternal(c, sc) && c.IsSet("transport") && transport != transportTCP {
		problems = append(problems, "--transport memory needs the in-process server; a --target is reached over TCP")
	}
	return strings.Join(append(problems, flagValueProblems(c)...), "; ")
}

// flagValueProblems checks the numeric flags a run shares with the
// commands that describe one (collect, k8s render).
func flagValueProblems(c *cli.Context) []string {
	var problems []string
	for _, f := range []struct {
		name  string
		value float64
	}{
		{"devices", float64(c.Int("devices"))}, {"speed", c.Float64("speed")},
		{"duration", c.Duration("duration").Seconds()}, {"response-timeout", c.Duration("response-timeout").Seconds()},
	} {
		switch {
		case f.value < 0:
			problems = append(problems, "--"+f.name+" must not be negative")
		case f.value == 0 && c.IsSet(f.name):
			problems = append(problems, "--"+f.name+" must be above 0")
		}
	}
	if d := c.Duration("response-timeout"); d > scenarios.MaxResponseTimeout.D() {
		problems = append(problems, fmt.Sprintf("--response-timeout %v is over the limit of %v", d, scenarios.MaxResponseTimeout))
	}
	if p := addrProblem("pprof-addr", c.String("pprof-addr"), "127.0.0.1:6060"); p != "" {
		problems = append(problems, p)
	}
	return problems
}

// startProfiles starts the --cpu-profile, --mem-profile and --pprof-addr
// the flags ask for; the returned function stops them.
func startProfiles(c *cli.Context, cfg *sim.Config) (func(), error) {
	var closers []func()
	stop := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if path := c.String("cpu-profile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return stop, cli.Exit(fmt.Sprintf("--cpu-profile: %v", err), exitError)
		}
		closers = append(closers, func() { f.Close() })
		if err := pprof.StartCPUProfile(f); err != nil {
			stop()
			return func() {}, cli.Exit(fmt.Sprintf("--cpu-profile: %v", err), exitError)
		}
		closers = append(closers, pprof.StopCPUProfile)
	}
	if path := c.String("mem-profile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			stop()
			return func() {}, cli.Exit(fmt.Sprintf("--mem-profile: %v", err), exitError)
		}
		closers = append(closers, func() { f.Close() })
		cfg.HeapProfile = f
	}
	if addr := c.String("pprof-addr"); addr != "" {
		_, stderr := writers(c)
		stopServing, err := servePprof(addr, stderr)
		if err != nil {
			stop()
			return func() {}, err
		}
		closers = append(closers, stopServing)
	}
	return stop, nil
}

// runFolder is the run folder while the run starts: removed at the end
// unless the run got far enough to write its results (keep), and only
// what this run created (the folder, and the folders above it it made).
type runFolder struct {
	path    string
	created []string // the folders MkdirAll made, deepest first
	kept    bool
}

func newRunFolder(path string) (*runFolder, error) {
	f := &runFolder{path: path}
	for d := filepath.Clean(path); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) || filepath.Dir(d) == d {
			break
		}
		f.created = append(f.created, d)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *runFolder) keep() { f.kept = true }

func (f *runFolder) removeUnlessKept() {
	if f.kept || len(f.created) == 0 {
		return
	}
	_ = os.RemoveAll(f.created[0])
	for _, d := range f.created[1:] {
		_ = os.Remove(d) // only when empty
	}
}

// finishRun judges the run against its baseline (which becomes part of
// its verdict), writes the run folder, prints the summary table (and
// summary.json with --json), writes the reports and records the run, then
// turns the verdict into the documented exit code. A simulation and a
// load run end the same way.
func finishRun(ctx context.Context, c *cli.Context, out string, run *results.Run, rr *runReports, rm *runMetrics,
	print func(io.Writer, *results.Summary, string)) error {
	stdout, stderr := writers(c)
	rr.judgeBaseline(run) // before anything is written: the stored verdict is the whole verdict
	rm.finish(ctx, run)   // the exported series end with that verdict
	writeErr := results.Write(out, run)
	tableTo := stdout
	if c.Bool("json") {
		tableTo = stderr
		b, _ := json.MarshalIndent(run.Summary, "", "  ")
		fmt.Fprintln(stdout, string(b))
	}
	print(tableTo, &run.Summary, out)
	if writeErr != nil {
		return cli.Exit(fmt.Sprintf("writing the run folder: %v", writeErr), exitError)
	}
	if err := rr.finish(ctx, out, run, tableTo); err != nil { // report.html, junit.xml, history, baseline table
		return err
	}
	printVerdict(tableTo, &run.Summary)
	switch run.Summary.Verdict {
	case results.VerdictPass:
		return nil
	case results.VerdictInconclusive:
		return cli.Exit("", exitInconclusive)
	}
	return cli.Exit("", exitTargetFail)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// isExternal reports whether the run's server is another one (a target
// by flag or in the scenario), not the in-process reference server.
func isExternal(c *cli.Context, sc *scenarios.Scenario) bool {
	return c.String("target") != "" || c.String("updates-url") != "" || sc.Target.UpdatesURL != ""
}

// externalTarget points the run at another server.
func externalTarget(c *cli.Context, sc *scenarios.Scenario, cfg *sim.Config) error {
	base := strings.TrimRight(c.String("target"), "/")
	ep := client.Endpoints{
		Updates: firstNonEmpty(c.String("updates-url"), sc.Target.UpdatesURL, joinURL(base, "/updates")),
		Stats:   firstNonEmpty(c.String("stats-url"), sc.Target.StatsURL, joinURL(base, "/stats")),
		Channel: firstNonEmpty(c.String("channel-url"), sc.Target.ChannelURL, joinURL(base, "/channel_self")),
	}
	if err := ep.Validate(); err != nil {
		return cli.Exit(err.Error()+" (give --target or all of --updates-url, --stats-url, --channel-url)", exitUsage)
	}
	cfg.Endpoints = ep
	cfg.Server = results.ServerInfo{Kind: "external", Transport: transportTCP, UpdatesURL: ep.Updates, StatsURL: ep.Stats, ChannelURL: ep.Channel}
	adminURL := firstNonEmpty(c.String("admin-url"), sc.Target.AdminURL, base)
	if tok := c.String("admin-token"); tok != "" && adminURL != "" {
		ad, err := admin.New(adminURL, tok, nil)
		if err != nil {
			return cli.Exit(err.Error(), exitUsage)
		}
		cfg.Admin = ad
		cfg.Server.AdminURL = adminURL
		if u, err := url.Parse(adminURL); err == nil {
			u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
			u.Path = strings.TrimRight(u.Path, "/") + "/push"
			cfg.PushURL = u.String()
		}
	}
	return nil
}

func joinURL(base, path string) string {
	if base == "" {
		return ""
	}
	return base + path
}

// probeTimeout bounds the start-up check of an external target.
const probeTimeout = 5 * time.Second

// probeTarget sends the fleet's first device's check to the target before
// the run starts and wants an HTTP answer within probeTimeout: a target
// that refuses connections, or accepts them and never answers, is
// reported at once instead of measured as a fleet of failures.
func probeTarget(ctx context.Context, sc *scenarios.Scenario, cfg *sim.Config) error {
	seed := sc.Run.Seed
	if cfg.Seed != 0 {
		seed = cfg.Seed
	}
	pop, err := population.New(sc, seed, cfg.Devices)
	if err != nil {
		return err
	}
	cl, err := client.New(client.Config{Endpoints: cfg.Endpoints, Connections: 1})
	if err != nil {
		return err
	}
	defer cl.Close()
	var info protocol.Info
	load.NewFleet(pop, sc.App.ID).Info(0, &info)
	_, err = cl.Probe(ctx, &info, probeTimeout)
	return err
}

func devicesOf(sc *scenarios.Scenario, override int) int {
	if override > 0 {
		return override
	}
	n := sc.Fleet.Devices
	for _, s := range sc.Fleet.Segments {
		if s.Join != nil {
			n += s.Join.Devices
		}
	}
	return n
}

func durationOf(sc *scenarios.Scenario, override time.Duration) time.Duration {
	if override > 0 {
		return override
	}
	return sc.Run.Duration.D()
}

func speedOf(sc *scenarios.Scenario, override float64) float64 {
	if override > 0 {
		return override
	}
	return sc.Run.Speed
}
