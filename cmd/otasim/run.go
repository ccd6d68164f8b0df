package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/reference-server/refserver"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim"
	"github.com/otasim/otasim/sim/admin"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/vclock"
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
			"Writes summary.json, series.json and histograms.json to --out and prints the\n" +
			"targets with PASS/FAIL. Exit code 0 when every target passes, 3 when one\n" +
			"fails, 1 on an error. Ctrl-C stops the run and writes a partial summary.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "target", Usage: "base URL of a Capgo-compatible server (default: the in-process reference server)"},
			&cli.StringFlag{Name: "updates-url", Usage: "URL of /updates (default <target>/updates)"},
			&cli.StringFlag{Name: "stats-url", Usage: "URL of /stats (default <target>/stats)"},
			&cli.StringFlag{Name: "channel-url", Usage: "URL of /channel_self (default <target>/channel_self)"},
			&cli.StringFlag{Name: "admin-url", Usage: "base URL of the target's admin API (default <target>)"},
			&cli.StringFlag{Name: "admin-token", EnvVars: []string{"OTASIM_ADMIN_TOKEN"}, Usage: "bearer token of the target's admin API; without it the timeline is skipped"},
			&cli.StringFlag{Name: "out", Usage: "run folder (default runs/<run-id>/)"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the population and schedule (default: the scenario's)"},
			&cli.IntFlag{Name: "devices", Usage: "number of devices (default: the scenario's)"},
			&cli.Float64Flag{Name: "speed", Usage: "virtual seconds per real second; 1 is real time (default: the scenario's)"},
			&cli.DurationFlag{Name: "duration", Usage: "virtual duration of the run (default: the scenario's)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
			&cli.BoolFlag{Name: "json", Usage: "print summary.json to stdout (the table goes to stderr)"},
			&cli.StringFlag{Name: "cpu-profile", Usage: "write a CPU profile of the run (pprof) to this file"},
			&cli.StringFlag{Name: "mem-profile", Usage: "write a heap profile (pprof), taken when the clock reaches the end with the whole fleet in memory, to this file"},
		}, runReportFlags()...),
		Action: runRun,
	}
}

func newRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// flagsAfterScenario reports whether flags follow the scenario
// (`otasim run quickstart --devices 100`), which the flag parser leaves as
// arguments.
func flagsAfterScenario(c *cli.Context) bool {
	return c.NArg() > 1 && strings.HasPrefix(c.Args().Get(1), "-")
}

// rerunFlagsFirst runs the command again with every flag before the
// scenario.
func rerunFlagsFirst(c *cli.Context) error {
	args := append([]string{c.App.Name, c.Command.Name}, setFlagArgs(c)...)
	args = append(args, c.Args().Slice()[1:]...)
	return c.App.RunContext(c.Context, append(args, "--", c.Args().First()))
}

// setFlagArgs gives back the flags set on c as arguments that parse to the
// same values: one --name=value per value of a repeatable flag, and each
// scalar in the form its own flag type parses.
func setFlagArgs(c *cli.Context) []string {
	var args []string
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		var vals []string
		switch f.(type) {
		case *cli.StringSliceFlag:
			vals = c.StringSlice(name)
		case *cli.IntSliceFlag:
			for _, v := range c.IntSlice(name) {
				vals = append(vals, strconv.Itoa(v))
			}
		case *cli.Int64SliceFlag:
			for _, v := range c.Int64Slice(name) {
				vals = append(vals, strconv.FormatInt(v, 10))
			}
		case *cli.Float64SliceFlag:
			for _, v := range c.Float64Slice(name) {
				vals = append(vals, strconv.FormatFloat(v, 'g', -1, 64))
			}
		case *cli.StringFlag, *cli.PathFlag:
			vals = []string{c.String(name)}
		case *cli.BoolFlag:
			vals = []string{strconv.FormatBool(c.Bool(name))}
		case *cli.IntFlag:
			vals = []string{strconv.Itoa(c.Int(name))}
		case *cli.Int64Flag:
			vals = []string{strconv.FormatInt(c.Int64(name), 10)}
		case *cli.Uint64Flag:
			vals = []string{strconv.FormatUint(c.Uint64(name), 10)}
		case *cli.Float64Flag:
			vals = []string{strconv.FormatFloat(c.Float64(name), 'g', -1, 64)}
		case *cli.DurationFlag:
			vals = []string{c.Duration(name).String()}
		default:
			// Any other flag's value prints in the form it parses.
			vals = []string{fmt.Sprint(c.Value(name))}
		}
		for _, v := range vals {
			args = append(args, "--"+name+"="+v)
		}
	}
	return args
}

func runRun(c *cli.Context) error {
	if flagsAfterScenario(c) {
		return rerunFlagsFirst(c)
	}
	if c.NArg() != 1 {
		return cli.Exit("run takes one scenario (a bundled name or a file); see 'otasim scenarios list'", exitUsage)
	}
	sc, err := scenarios.Load(c.Args().First())
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	var problems []string
	if c.Int("devices") < 0 {
		problems = append(problems, "--devices must not be negative")
	}
	if c.Float64("speed") < 0 {
		problems = append(problems, "--speed must not be negative")
	}
	if c.Duration("duration") < 0 {
		problems = append(problems, "--duration must not be negative")
	}
	if len(problems) > 0 {
		return cli.Exit(strings.Join(problems, "; "), exitUsage)
	}
	runID := newRunID()
	out := c.String("out")
	if out == "" {
		out = filepath.Join("runs", runID)
	}
	for _, f := range []string{results.SummaryFile, "server.db"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			return cli.Exit(fmt.Sprintf("run folder %s already holds a run (%s); choose another --out", out, f), exitUsage)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return cli.Exit(fmt.Sprintf("run folder: %v", err), exitError)
	}

	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := sim.Config{
		Scenario: sc, RunID: runID, Devices: c.Int("devices"), Speed: c.Float64("speed"),
		Duration: c.Duration("duration"), Seed: c.Uint64("seed"),
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

	external := c.String("target") != "" || c.String("updates-url") != "" || sc.Target.UpdatesURL != ""
	var shutdown func() error
	if external {
		if err := externalTarget(c, sc, &cfg); err != nil {
			return err
		}
		if err := reachable(ctx, cfg.Endpoints.Updates); err != nil {
			return cli.Exit(err.Error(), exitError)
		}
	} else {
		shutdown, err = inProcess(ctx, out, &cfg)
		if err != nil {
			return cli.Exit(err.Error(), exitError)
		}
	}

	if !c.Bool("quiet") && sc.Load == nil { // a load run prints its own
		fmt.Fprintf(stderr, "otasim run %s: %d devices, %s virtual at speed %g, server %s\n",
			sc.Name, devicesOf(sc, cfg.Devices), durationOf(sc, cfg.Duration), speedOf(sc, cfg.Speed), cfg.Server.UpdatesURL)
	}
	if path := c.String("cpu-profile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return cli.Exit(fmt.Sprintf("--cpu-profile: %v", err), exitError)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return cli.Exit(fmt.Sprintf("--cpu-profile: %v", err), exitError)
		}
		defer pprof.StopCPUProfile()
	}
	if path := c.String("mem-profile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return cli.Exit(fmt.Sprintf("--mem-profile: %v", err), exitError)
		}
		defer f.Close()
		cfg.HeapProfile = f
	}
	if sc.Load != nil { // a plain load test instead of the rollout simulation
		return runLoad(ctx, c, sc, &cfg, out, shutdown, rr)
	}
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
		return cli.Exit(runErr.Error(), exitError)
	}
	return finishRun(ctx, c, out, run, rr, printSummary)
}

// finishRun writes the run folder, prints the summary table (and
// summary.json with --json), writes the reports and records the run, then
// turns the outcome into the documented exit code. A simulation and a load
// run end the same way.
func finishRun(ctx context.Context, c *cli.Context, out string, run *results.Run, rr *runReports,
	print func(io.Writer, *results.Summary, string)) error {
	stdout, stderr := writers(c)
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
	reportErr := rr.finish(ctx, out, run, tableTo) // report.html, junit.xml, history, baseline
	if run.Summary.Interrupted {
		return cli.Exit("interrupted: partial results written", exitError)
	}
	if reportErr != nil {
		return reportErr
	}
	if !run.Summary.Pass {
		return cli.Exit("", exitTargetFail)
	}
	return nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
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
	cfg.Server = results.ServerInfo{Kind: "external", UpdatesURL: ep.Updates, StatsURL: ep.Stats, ChannelURL: ep.Channel}
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

// reachable fails fast, with a clear message, when nothing listens at the
// target.
func reachable(ctx context.Context, target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("target %s is unreachable: %w", target, err)
	}
	return conn.Close()
}

// inProcess starts the reference server on loopback with its database in
// the run folder and its clock on the run's virtual time.
func inProcess(ctx context.Context, out string, cfg *sim.Config) (func() error, error) {
	src := &vclock.Source{}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	dbPath := filepath.Join(out, "server.db")
	srv, err := refserver.New(refserver.Config{DBPath: dbPath, Now: src.Now, AdminToken: token,
		Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("start the reference server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("start the reference server: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()
	cfg.Endpoints = client.Endpoints{Updates: base + "/updates", Stats: base + "/stats", Channel: base + "/channel_self"}
	cfg.PushURL = "ws://" + ln.Addr().String() + "/push"
	cfg.Clock = src
	ad, err := admin.New(base, token, nil)
	if err != nil {
		cancel()
		<-errc
		return nil, err
	}
	cfg.Admin = ad
	cfg.Server = results.ServerInfo{Kind: "in-process", UpdatesURL: cfg.Endpoints.Updates, StatsURL: cfg.Endpoints.Stats,
		ChannelURL: cfg.Endpoints.Channel, AdminURL: base}
	return func() error {
		cancel()
		return <-errc
	}, nil
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
