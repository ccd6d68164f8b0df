package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/internal/sabotage"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim"
	"github.com/otasim/otasim/sim/results"
)

// The ci-smoke scenario end to end against the in-process reference
// server: the installs and failures the server counted equal those the
// fleet delivered, and summary.json holds every key the contract names.
func TestRunCISmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	dir := filepath.Join(t.TempDir(), "run")
	out, errOut, code := runScenariosCLI(t, "run", "ci-smoke", "--out", dir, "--quiet")
	if !isVerdict(code) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"TARGET", "adoption", "success_rate", "run folder: " + dir} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	run, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := run.Summary
	if s.Interrupted || s.Devices != 500 || s.Scenario != "ci-smoke" || s.Server.Kind != "in-process" || s.Server.Transport != "memory" {
		t.Errorf("summary header %+v", s)
	}
	if s.SuccessRate.Attempts == 0 || s.CDN.Downloads == 0 || s.API["updates"].Count == 0 || s.API["stats"].Count == 0 ||
		s.API["channel_self"].Count == 0 {
		t.Errorf("nothing measured: success %+v cdn %d api %+v", s.SuccessRate, s.CDN.Downloads, s.API)
	}
	if len(s.Timeline) != 4 {
		t.Errorf("timeline %+v", s.Timeline)
	}
	for _, a := range s.Timeline {
		if a.Outcome != "ok" {
			t.Errorf("action %+v", a)
		}
	}
	if len(s.FleetCounts) == 0 {
		skipIfBehind(t, &s, "installs and failures within the run")
		t.Fatal("the fleet delivered no install or failure")
	}
	// Stats posts still in flight when the drain gave up (a starved
	// machine) may be counted by the server and not by the fleet, never
	// the other way round; otherwise the counts are equal.
	abandoned := slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, "abandoned") })
	for name, fleet := range s.FleetCounts {
		server := s.ServerCounts[name]
		equal := server.Installs == fleet.Installs && reflect.DeepEqual(server.Failures, fleet.Failures)
		if !equal && !(abandoned && countsAtLeast(server, fleet)) {
			t.Errorf("bundle %s: server counted %+v, the fleet delivered %+v (abandoned requests: %v)", name, server, fleet, abandoned)
		}
	}
	for name, server := range s.ServerCounts {
		if _, ok := s.FleetCounts[name]; !ok && (server.Installs > 0 || len(server.Failures) > 0) {
			t.Errorf("bundle %s: server counted %+v, the fleet nothing", name, server)
		}
	}
	// The JSON keys the issue names.
	b, err := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "run_id", "scenario", "seed", "devices", "speed", "virtual_seconds", "wall_seconds",
		"interrupted", "targets", "adoption", "success_rate", "cdn", "api", "rollback", "harness", "skipped_actions"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary.json lacks %q", k)
		}
	}
	if len(run.Series.T) < 10 || len(run.Series.Adoption["all"]["1.0.1"]) != len(run.Series.T) {
		t.Errorf("series: %d samples", len(run.Series.T))
	}
	if _, ok := run.Histograms.Histograms["api.updates.latency"]; !ok {
		t.Error("no /updates histogram")
	}
	// The run folder is not reused.
	if _, _, code := runScenariosCLI(t, "run", "ci-smoke", "--out", dir, "-q"); code != exitUsage {
		t.Errorf("second run into the same folder: exit %d", code)
	}
}

// A cancelled run stops cleanly with a partial summary marked interrupted.
func TestRunInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	sc, err := scenarios.Load("ci-smoke")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := sim.Config{Scenario: sc, RunID: "t", Devices: 50, ProgressEvery: time.Millisecond}
	// Cancel once the run is under way.
	cfg.Progress = func(p results.Progress) {
		if p.Requests > 0 {
			cancel()
		}
	}
	shutdown, err := inProcess(context.Background(), dir, transportMemory, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	run, err := sim.Run(ctx, cfg)
	if serr := shutdown(); serr != nil {
		t.Errorf("shutdown: %v", serr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !run.Summary.Interrupted || run.Summary.VirtualSeconds >= sc.Run.Duration.Seconds() {
		t.Fatalf("interrupted %v at %v s", run.Summary.Interrupted, run.Summary.VirtualSeconds)
	}
	if err := results.Write(dir, run); err != nil {
		t.Fatal(err)
	}
}

func TestRunBadInput(t *testing.T) {
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no scenario", []string{"run"}, exitUsage, "run takes one scenario"},
		{"unknown scenario", []string{"run", "nope"}, exitError, "nope"},
		{"negative devices", []string{"run", "--devices", "-1", "ci-smoke"}, exitUsage, "--devices must not be negative"},
		{"unreachable target", []string{"run", "--target", dead, "--out", t.TempDir(), "ci-smoke"}, exitError, "unreachable"},
		{"bad target URL", []string{"run", "--target", "ftp://x", "--out", t.TempDir(), "ci-smoke"}, exitUsage, "not an http(s) URL"},
		{"run folder under a file", []string{"run", "--out", filepath.Join(notDir, "x"), "ci-smoke"}, exitError, "run folder"},
		{"flags after the scenario", []string{"run", "ci-smoke", "--devices", "-5"}, exitUsage, "--devices must not be negative"},
		{"speed 0", []string{"run", "ci-smoke", "--speed", "0"}, exitUsage, "--speed must be above 0"},
		{"negative speed", []string{"run", "ci-smoke", "--speed=-2"}, exitUsage, "--speed must not be negative"},
		{"devices 0", []string{"run", "ci-smoke", "--devices", "0"}, exitUsage, "--devices must be above 0"},
		{"response timeout 0", []string{"run", "ci-smoke", "--response-timeout", "0s"}, exitUsage, "--response-timeout must be above 0"},
		{"an unknown flag after the scenario", []string{"run", "ci-smoke", "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{"unknown transport", []string{"run", "--transport", "udp", "ci-smoke"}, exitUsage, `--transport "udp": want memory or tcp`},
		{"pprof address without a host", []string{"run", "--pprof-addr", "6060", "ci-smoke"}, exitUsage, `--pprof-addr "6060": want HOST:PORT`},
		{"memory transport to a target", []string{"run", "--transport", "memory", "--target", dead, "ci-smoke"}, exitUsage,
			"a --target is reached over TCP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			app := newApp()
			app.Writer, app.ErrWriter = &out, &errOut
			err := execute(app, append([]string{"otasim"}, tt.args...))
			code := exitOK
			var coded cli.ExitCoder
			if errors.As(err, &coded) {
				code = coded.ExitCode()
			} else if err != nil {
				code = exitError
			}
			if code != tt.code || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("exit %d (want %d), error %v (want %q)\n%s%s", code, tt.code, err, tt.want, &out, &errOut)
			}
		})
	}
}

// Devices of a push cohort hold a /push socket during their sessions and
// check when the server tells them their channel changed.
func TestRunPush(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	// The bundled scenario with its mid-day release moved to 1h, so the
	// run stays short; over loopback TCP (ci-smoke runs over the default
	// in-memory transport).
	src, err := scenarios.Bundled("push-vs-poll")
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(string(src), "  - at: 12h\n    release:", "  - at: 1h\n    release:", 1)
	if moved == string(src) {
		t.Fatal("push-vs-poll has no release at 12h")
	}
	scenario := filepath.Join(t.TempDir(), "push.yaml")
	if err := os.WriteFile(scenario, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	out, errOut, code := runScenariosCLI(t, "run", scenario, "--devices", "300", "--duration", "3h",
		"--speed", "3600", "--out", dir, "--quiet", "--no-history", "--transport", "tcp")
	if !isVerdict(code) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	run, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if srv := run.Summary.Server; srv.Transport != "tcp" || !strings.HasPrefix(srv.UpdatesURL, "http://127.0.0.1:") {
		t.Errorf("server %+v, want loopback TCP", srv)
	}
	skipIfBehind(t, &run.Summary, "a push in the session it was sent to")
	h := run.Summary.Harness
	if h.PushSockets == 0 || h.PushMessages == 0 {
		t.Fatalf("push sockets %d, messages %d", h.PushSockets, h.PushMessages)
	}
	if _, ok := run.Summary.Adoption.BySegment["users/push"]; !ok {
		t.Errorf("no adoption for the push arm: %+v", run.Summary.Adoption.BySegment)
	}
	x := run.Summary.Experiments
	if len(x) != 1 || x[0].Segment != "users" || x[0].Control != "users/push" || len(x[0].Arms) != 1 ||
		x[0].Arms[0].Arm != "users/poll" || x[0].Arms[0].Adoption.ArmN == 0 {
		t.Errorf("experiments %+v", x)
	}
}

// A guard that rolls a defective bundle back makes the later timeline
// steps on that rollout moot: they are recorded as skipped with the
// guard's trip time, not as errors.
func TestRunGuardMakesStepsMoot(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	scenario := filepath.Join(t.TempDir(), "moot.yaml")
	if err := os.WriteFile(scenario, []byte(`name: moot
run: {duration: 4h, speed: 2400, seed: 5}
bundles:
  - version: 1.1.0
    size: 64KB
    defects: {not_ready: 0.5}
fleet:
  devices: 300
  segments:
    - name: users
      share: 1
      sessions_per_day: 24
      diurnal: flat
      update_mode: always
timeline:
  - at: 0s
    guard: {channel: production, threshold: 0.2, min_attempts: 10, window: 1h, action: rollback}
  - at: 0s
    rollout: {channel: production, bundle: 1.1.0, percent: 100}
  - at: 3h
    set_percent: {channel: production, percent: 50}
  - at: 3h30m
    rollback: {channel: production}
targets:
  disable: [adoption, success_rate]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	out, errOut, code := runScenariosCLI(t, "run", scenario, "--out", dir, "--quiet", "--no-history")
	if !isVerdict(code) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	run, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	skipIfBehind(t, &run.Summary, "the guard's trip within its window")
	rb := run.Summary.Rollback
	// (How fast devices get back depends on how far a loaded machine lets
	// the generator fall behind: not judged here.)
	if rb.Trigger != "guard_rollback" || len(rb.GuardTrips) == 0 || rb.AtS >= 3*3600 || rb.Exposed == 0 || rb.FinalBackShare == 0 {
		t.Fatalf("rollback %+v", rb)
	}
	trip := fmt.Sprintf("already rolled back by the guard at %02d:%02d", int(rb.AtS)/3600, int(rb.AtS)/60%60)
	moot := 0
	for _, a := range run.Summary.Timeline {
		switch a.Action {
		case "set_percent", "rollback":
			if a.Outcome != "skipped" || a.Error != trip {
				t.Errorf("moot step %+v, want skipped (%s)", a, trip)
			}
			moot++
		default:
			if a.Outcome != "ok" {
				t.Errorf("step %+v", a)
			}
		}
	}
	if moot != 2 || len(run.Summary.SkippedActions) != 0 {
		t.Errorf("%d moot steps, skipped actions %+v", moot, run.Summary.SkippedActions)
	}
	for _, want := range []string{"guard tripped at ", "skipped at 03:30:00: rollback production (" + trip + ")"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// countsAtLeast reports whether a counts every install and failure b does.
func countsAtLeast(a, b results.BundleCounts) bool {
	if a.Installs < b.Installs {
		return false
	}
	for k, n := range b.Failures {
		if a.Failures[k] < n {
			return false
		}
	}
	return true
}

// A run that cannot start leaves nothing behind, not even the runs/
// folder it would have made for its default run folder.
func TestRunThatDoesNotStartLeavesNoFolder(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	msg, code := runCLIError(t, "run", "ci-smoke", "--target", sabotage.Refused(t), "--no-history", "--quiet")
	if code != exitError || !strings.Contains(msg, "unreachable") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	// A target that answers, but whose admin API refuses the set-up: the
	// run folder was made, and is removed with runs/.
	msg, code = runCLIError(t, "run", "ci-smoke", "--target", sabotage.Serve(t, sabotage.Status(501)), "--admin-token", "some-token",
		"--no-history", "--quiet")
	if code != exitError || !strings.Contains(msg, "set up the server") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("the working folder holds %v", entries)
	}
	if _, err := os.Stat(filepath.Join(cwd, "runs")); err == nil {
		t.Error("a run that never started left runs/ behind")
	}
}
