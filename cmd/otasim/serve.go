package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/reference-server/bundlecheck"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/refserver"
	"github.com/otasim/otasim/reference-server/store"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the reference update server (Capgo-compatible, on SQLite)",
		Description: "Serves POST /updates, POST /stats, /channel_self, bundle downloads under /cdn/,\n" +
			"the /push WebSocket, /metrics, /healthz and the admin API under /admin/\n" +
			"(docs/admin-api.md). --demo seeds app com.example.app with bundles 1.0.0,\n" +
			"1.1.0 and 1.2.0 and channels production (1.1.0) and beta (1.2.0).\n" +
			"SIGINT or SIGTERM stops accepting, drains requests and flushes stats.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", EnvVars: []string{"OTASIM_ADDR"}, Usage: "listen address"},
			&cli.StringFlag{Name: "db", Value: "otasim.db", EnvVars: []string{"OTASIM_DB"}, Usage: "SQLite database file (bundles go to <db>.bundles/)"},
			&cli.BoolFlag{Name: "demo", Usage: "seed the demo app, bundles and channels (only what is missing)"},
			&cli.StringFlag{Name: "admin-token", EnvVars: []string{"OTASIM_ADMIN_TOKEN"}, Usage: fmt.Sprintf("bearer token of the admin API, at least %d characters (generated and printed when empty)", refserver.MinAdminTokenLen)},
			&cli.StringFlag{Name: "public-url", EnvVars: []string{"OTASIM_PUBLIC_URL"}, Usage: "base URL of bundle downloads in /updates replies (default http://<addr>)"},
			&cli.StringFlag{Name: "max-upload", Value: "512MiB", EnvVars: []string{"OTASIM_MAX_UPLOAD"}, Usage: "largest bundle zip the admin API accepts"},
			&cli.StringFlag{Name: "max-unzipped", Value: "1GiB", EnvVars: []string{"OTASIM_MAX_UNZIPPED"}, Usage: "largest total of an uploaded bundle's files once unzipped"},
			&cli.IntFlag{Name: "max-conns", Value: refserver.DefaultMaxConns, EnvVars: []string{"OTASIM_MAX_CONNS"}, Usage: "open client connections at most; one more is answered 503 with Retry-After and closed"},
			&cli.DurationFlag{Name: "header-timeout", Value: refserver.DefaultHeaderTimeout, Usage: "time to read a request's headers"},
			&cli.DurationFlag{Name: "read-timeout", Value: refserver.DefaultReadTimeout, Usage: "time to read a request's headers and body (an upload: plus its size at --min-transfer-rate)"},
			&cli.DurationFlag{Name: "write-timeout", Value: refserver.DefaultWriteTimeout, Usage: "time to write a reply (a bundle download: plus its size at --min-transfer-rate)"},
			&cli.DurationFlag{Name: "idle-timeout", Value: refserver.DefaultIdleTimeout, Usage: "time a kept-alive connection may wait for its next request"},
			&cli.IntFlag{Name: "max-inflight", Value: refserver.DefaultMaxInFlight, Usage: "requests each device endpoint handles at once; past it they are shed (429 with Retry-After) before their body is read"},
			&cli.StringFlag{Name: "max-inflight-stats-bytes", Value: "64MiB", Usage: "bytes of the /stats bodies handled at once; past it they are shed alike"},
			&cli.IntFlag{Name: "stats-queue", Value: store.DefaultMaxPending, Usage: "stats events waiting for the writer at most; past it /stats is shed (429 with Retry-After)"},
			&cli.DurationFlag{Name: "stats-retry-window", Value: store.DefaultDedupWindow, Usage: "how long a stored stats event is remembered, so that its retry is stored and counted once"},
			&cli.IntFlag{Name: "stats-retry-max", Value: store.DefaultDedupMax, Usage: "stats events remembered for their retries at most (about 40 bytes each); past it the window is shortened"},
			&cli.BoolFlag{Name: "cpu-guard", Value: true, Usage: "when the CPU is saturated, shed /stats first (429, reason cpu_saturated) so that update checks stay fast; --cpu-guard=false turns it off"},
			&cli.StringFlag{Name: "min-transfer-rate", Value: "16KiB", Usage: "slowest bundle download or upload, per second, the server waits for"},
			&cli.IntFlag{Name: "max-devices", Value: live.DefaultMaxDevices, EnvVars: []string{"OTASIM_MAX_DEVICES"}, Usage: "devices kept in memory (active within 24 h), and device overrides, at most"},
			&cli.StringSliceFlag{Name: "cors-origin", EnvVars: []string{"OTASIM_CORS_ORIGINS"}, Usage: "an origin (https://console.example) whose pages may call the device endpoints, besides the app's WebView and local pages; repeatable"},
			&cli.StringFlag{Name: "metrics-auth", Value: "auto", EnvVars: []string{"OTASIM_METRICS_AUTH"}, Usage: "whether GET /metrics needs the admin token: on, off, or auto (on when --addr is not loopback)"},
			&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"OTASIM_LOG_LEVEL"}, Usage: "debug, info, warn or error"},
			&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: []string{"OTASIM_LOG_FORMAT"}, Usage: "text or json"},
		}, serveClockFlags()...),
		Action: runServe,
	}
}

func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, cli.Exit(fmt.Sprintf("--log-level %q: want debug, info, warn or error", level), exitUsage)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, cli.Exit(fmt.Sprintf("--log-format %q: want text or json", format), exitUsage)
}

func runServe(c *cli.Context) error {
	if c.Args().Present() {
		return cli.Exit(fmt.Sprintf("serve takes no arguments, got %q", c.Args().First()), exitUsage)
	}
	log, err := newLogger(c.String("log-level"), c.String("log-format"))
	if err != nil {
		return err
	}
	if tok := c.String("admin-token"); tok != "" && len(tok) < refserver.MinAdminTokenLen {
		return cli.Exit(fmt.Sprintf("--admin-token (or OTASIM_ADMIN_TOKEN) must be at least %d characters, got %d", refserver.MinAdminTokenLen, len(tok)), exitUsage)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	bundles, err := bundleLimits(c)
	if err != nil {
		return err
	}
	bounds, err := serverBounds(c)
	if err != nil {
		return err
	}
	now, err := serveClock(ctx, c, log) // serve_clock.go
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	publicURL := c.String("public-url")
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	srv, err := refserver.New(refserver.Config{
		DBPath:      c.String("db"),
		PublicURL:   publicURL,
		AdminToken:  c.String("admin-token"),
		Logger:      log,
		Now:         now,
		Bundles:     bundles,
		Bounds:      bounds,
		CORSOrigins: c.StringSlice("cors-origin"),
		MaxDevices:  c.Int("max-devices"),
		MetricsAuth: refserver.MetricsAuth(c.String("metrics-auth")),
	})
	if err != nil {
		ln.Close()
		return cli.Exit(err.Error(), exitUsage)
	}
	if c.Bool("demo") {
		log.Info("seeding the demo (only what is missing)")
		if err := refserver.SeedDemo(ctx, srv); err != nil {
			ln.Close()
			srv.Close()
			return err
		}
	}
	printBanner(c, srv, ln.Addr().String(), c.String("admin-token") == "")
	log.Info("serving", "addr", ln.Addr().String(), "db", c.String("db"), "public_url", srv.PublicURL())
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

// serverBounds reads the connection and timeout flags.
func serverBounds(c *cli.Context) (refserver.Bounds, error) {
	b := refserver.Bounds{MaxConns: c.Int("max-conns"), HeaderTimeout: c.Duration("header-timeout"),
		ReadTimeout: c.Duration("read-timeout"), WriteTimeout: c.Duration("write-timeout"), IdleTimeout: c.Duration("idle-timeout")}
	var problems []string
	if b.MaxConns <= 0 {
		problems = append(problems, fmt.Sprintf("--max-conns %d: want a positive number", b.MaxConns))
	}
	for _, name := range []string{"header-timeout", "read-timeout", "write-timeout", "idle-timeout"} {
		if c.Duration(name) <= 0 {
			problems = append(problems, fmt.Sprintf("--%s %s: want a positive duration", name, c.Duration(name)))
		}
	}
	rate, err := humanize.ParseBytes(c.String("min-transfer-rate"))
	if err != nil || rate == 0 || rate > 1<<40 {
		problems = append(problems, fmt.Sprintf("--min-transfer-rate %q: want a size per second such as 16KiB", c.String("min-transfer-rate")))
	}
	b.MinTransferRate = int64(rate)
	b.NoCPUGuard = !c.Bool("cpu-guard")
	b.MaxInFlight, b.StatsQueue, b.RetryWindow, b.RetryMax = c.Int("max-inflight"), c.Int("stats-queue"), c.Duration("stats-retry-window"), c.Int("stats-retry-max")
	for _, name := range []string{"max-inflight", "stats-queue", "stats-retry-max"} {
		if c.Int(name) <= 0 {
			problems = append(problems, fmt.Sprintf("--%s %d: want a positive number", name, c.Int(name)))
		}
	}
	if b.RetryWindow <= 0 {
		problems = append(problems, fmt.Sprintf("--stats-retry-window %s: want a positive duration", b.RetryWindow))
	}
	inflightBytes, err := humanize.ParseBytes(c.String("max-inflight-stats-bytes"))
	if err != nil || inflightBytes == 0 || inflightBytes > 1<<40 {
		problems = append(problems, fmt.Sprintf("--max-inflight-stats-bytes %q: want a size such as 64MiB", c.String("max-inflight-stats-bytes")))
	}
	b.MaxInFlightBytes = int64(inflightBytes)
	if len(problems) > 0 {
		return b, cli.Exit(strings.Join(problems, "\n"), exitUsage)
	}
	return b, nil
}

// bundleLimits reads --max-upload and --max-unzipped (sizes such as 512MiB
// or 2GB).
func bundleLimits(c *cli.Context) (bundlecheck.Limits, error) {
	lim := bundlecheck.DefaultLimits()
	var problems []string
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"max-upload", &lim.MaxUpload}, {"max-unzipped", &lim.MaxUnzipped}} {
		n, err := humanize.ParseBytes(c.String(f.name))
		if err != nil || n == 0 || n > 1<<50 {
			problems = append(problems, fmt.Sprintf("--%s %q: want a size such as 512MiB", f.name, c.String(f.name)))
			continue
		}
		*f.dst = int64(n)
	}
	if len(problems) > 0 {
		return lim, cli.Exit(strings.Join(problems, "\n"), exitUsage)
	}
	return lim, nil
}

func printBanner(c *cli.Context, srv *refserver.Server, addr string, generated bool) {
	w := c.App.Writer
	base := "http://" + addr
	fmt.Fprintf(w, "otasim reference server listening on %s\n", base)
	if generated {
		fmt.Fprintf(w, "admin token (generated; set --admin-token or OTASIM_ADMIN_TOKEN to fix it): %s\n", srv.AdminToken())
	} else {
		fmt.Fprintln(w, "admin token: from --admin-token / OTASIM_ADMIN_TOKEN")
	}
	body := `{"app_id":"com.example.app","device_id":"5b3c4f5e-0d6a-4c5e-9f1a-2b3c4d5e6f70",` +
		`"platform":"android","version_name":"builtin","version_build":"1.0.0",` +
		`"plugin_version":"8.51.14","is_emulator":false,"is_prod":true}`
	fmt.Fprintf(w, "try:\n  curl -s -X POST %s/updates -H 'Content-Type: application/json' \\\n    -d '%s'\n", base, body)
	fmt.Fprintf(w, "  curl -s -H \"Authorization: Bearer %s\" %s/admin/apps/com.example.app/channels\n",
		strings.TrimSpace(tokenHint(srv, generated)), base)
}

func tokenHint(srv *refserver.Server, generated bool) string {
	if generated {
		return srv.AdminToken()
	}
	return "$OTASIM_ADMIN_TOKEN"
}
