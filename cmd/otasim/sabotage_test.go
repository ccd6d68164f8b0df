package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otasim/otasim/internal/sabotage"
	"github.com/otasim/otasim/reference-server/refserver"
	"github.com/otasim/otasim/reports/history"
	"github.com/otasim/otasim/sim/results"
)

// asOtasimEnv makes the test binary run as otasim (TestMain).
const asOtasimEnv = "OTASIM_TEST_AS_OTASIM"

// sabotageScenario is a small fleet that a healthy server serves well
// within its targets in one virtual hour (3 s at speed 1200): every
// device checks about every quarter hour, and applies at once.
const sabotageScenario = `name: sabotage
run: {duration: 1h, speed: 1200, seed: 3, workers: 32, connections: 16}
bundles:
  - {version: 1.1.0, size: 64KB}
fleet:
  devices: 100
  segments:
    - {name: users, share: 1, sessions_per_day: 96, diurnal: flat, update_mode: always}
timeline:
  - at: 0s
    release: {channel: production, bundle: 1.1.0}
targets:
  adoption_share: 0.5
  adoption_within: 1h
`

func writeScenario(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sabotage.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runAgainst runs the scenario against target and returns the summary
// (nil when no run folder was written), the exit code and the output.
func runAgainst(t *testing.T, scenario, target string, extra ...string) (*results.Summary, int, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	args := append([]string{"run", scenario, "--target", target, "--out", dir, "--quiet", "--no-history"}, extra...)
	out, errOut, code := runProcess(t, args...)
	run, err := results.Read(dir)
	if err != nil {
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("a run folder without a run: %v", err)
		}
		return nil, code, out + errOut
	}
	return &run.Summary, code, out + errOut
}

// runProcess runs otasim as a process of its own (the test binary as
// otasim, TestMain) and returns what it printed and its exit code. The
// sabotage runs go in parallel, and apps of one process share the CLI
// library's help flag, which each run writes as it parses.
func runProcess(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut strings.Builder
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), asOtasimEnv+"=1")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		code = exit.ExitCode()
	default:
		t.Fatalf("otasim %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), errOut.String(), code
}

// Each sabotaged target, a real server on loopback, gets the verdict and
// exit code it should: a server that fails every request FAILs whatever
// the machine (the failures are the server's, never the generator's), a
// server that accepts connections and never answers is reported before
// the run starts, with no run folder left behind.
func TestSabotagedTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs")
	}
	scenario := writeScenario(t, sabotageScenario)
	tests := []struct {
		name   string
		target func(t *testing.T) string
		reason string
		cause  string // a cause counted on /updates
	}{
		{"every request 503", func(t *testing.T) string { return sabotage.Serve(t, sabotage.Status(503)) },
			"api_errors.updates: 100.0% > 1.0%", "http_503"},
		{"every request 501", func(t *testing.T) string { return sabotage.Serve(t, sabotage.Status(501)) },
			"api_errors.updates: 100.0% > 1.0%", "http_501"},
		{"python3 -m http.server", pythonHTTPServer, "api_errors.updates: 100.0% > 1.0%", "http_501"},
		{"garbage JSON", func(t *testing.T) string { return sabotage.Serve(t, sabotage.Body("application/json", `{"version":`)) },
			"api_errors.updates: 100.0% > 1.0%", "invalid_json"},
		{"429 storm with Retry-After", func(t *testing.T) string { return sabotage.Serve(t, sabotage.RateLimited("1")) },
			"api_errors.updates: 100.0% > 1.0%", "http_429"},
	}
	for _, tt := range tests {
		// Not parallel: urfave/cli v2 writes its package-level HelpFlag
		// whenever an App parses its flags (flag_bool.go:110; urfave/cli
		// issue 1699), so two runs of the CLI in one process race.
		t.Run(tt.name, func(t *testing.T) {
			s, code, out := runAgainst(t, scenario, tt.target(t))
			if s == nil {
				t.Fatalf("no run (exit %d):\n%s", code, out)
			}
			wantVerdict(t, s, code, results.VerdictFail, true, tt.reason)
			u := s.API["updates"]
			if u.Count == 0 || u.Errors != u.Count || u.MeanMs != nil || u.P95Ms != nil || u.Causes[tt.cause] == 0 {
				t.Errorf("/updates: %d requests, %d failed, mean %v, causes %v", u.Count, u.Errors, u.MeanMs, u.Causes)
			}
			for _, tr := range s.Targets {
				if tr.Name == "api" && tr.Status != results.StatusFail {
					t.Errorf("api target %s (%s): no reply succeeded, it must fail", tr.Status, tr.Note)
				}
			}
		})
	}
	// A target that never answers a check is reported before the run,
	// exit 1, and leaves no run folder.
	for _, tt := range []struct {
		name   string
		target func(t testing.TB) string
		want   string
	}{
		{"accepts and never answers", sabotage.Silent, "did not answer POST /updates within 5s"},
		{"refuses connections", sabotage.Refused, "is unreachable (connection_refused)"},
		{"resets every connection", sabotage.Reset, "is unreachable (connection_reset)"},
	} {
		t.Run(tt.name, func(t *testing.T) { // not parallel, as above
			dir := filepath.Join(t.TempDir(), "run")
			msg, code := runCLIError(t, "run", scenario, "--target", tt.target(t), "--out", dir, "--quiet", "--no-history")
			if code != exitError || !strings.Contains(msg, tt.want) {
				t.Errorf("exit %d: %s", code, msg)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("a run that never started left %s behind", dir)
			}
		})
	}
}

// pythonHTTPServer starts python3's web server (it answers every POST
// with 501) on loopback, or skips when python3 is not installed.
func pythonHTTPServer(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(py, "-m", "http.server", port, "--bind", "127.0.0.1", "--directory", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Skipf("python3 -m http.server: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := "http://127.0.0.1:" + port
	waitUp(t, url+"/")
	return url
}

// waitUp waits (at most a minute) until url answers.
func waitUp(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never came up: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A server killed with SIGKILL while the run goes on: its requests fail
// from then on (refused), the run says TARGET LOST, keeps going, and
// FAILs — its latencies are those of the replies before the kill, never
// better for the failures after it.
func TestTargetKilledMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	const token = "sabotage-admin-token"
	srv := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "server.db"),
		"--admin-token", token, "--log-level", "error", "--cpu-guard=false") // the fleet shares its CPU
	srv.Env = append(os.Environ(), asOtasimEnv+"=1")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	base := ""
	re := regexp.MustCompile(`listening on (http://\S+)`)
	sc := bufio.NewScanner(stdout)
	for base == "" && sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatal("the server printed no address")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	type done struct {
		s    *results.Summary
		code int
		out  string
	}
	finished := make(chan done, 1)
	scenario := writeScenario(t, sabotageScenario)
	go func() {
		s, code, out := runAgainst(t, scenario, base, "--admin-token", token)
		finished <- done{s, code, out}
	}()
	// Kill it once it has served a few dozen checks: mid-run.
	for served := 0; served < 50; {
		select {
		case d := <-finished:
			t.Fatalf("the run ended before the kill (exit %d):\n%s", d.code, d.out)
		case <-time.After(10 * time.Millisecond):
		}
		served = servedChecks(base)
	}
	if err := srv.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	d := <-finished
	if d.s == nil {
		t.Fatalf("no run (exit %d):\n%s", d.code, d.out)
	}
	s := d.s
	wantVerdict(t, s, d.code, results.VerdictFail, true, "TARGET LOST at")
	if len(s.TargetLost) != 1 || s.TargetLost[0].RecoveredAtS != nil || s.TargetLost[0].Failures < 5 {
		t.Errorf("target lost %+v", s.TargetLost)
	}
	u := s.API["updates"]
	// The server had answered 50 checks by the kill; some of those
	// replies were still on their way, and die with it.
	if u.Succeeded() == 0 || u.Errors == 0 || u.Causes[refusedOrReset(u.Causes)] == 0 || u.Failed == nil {
		t.Errorf("/updates: %d ok, %d failed, causes %v", u.Succeeded(), u.Errors, u.Causes)
	}
	// The latencies are the replies' before the kill: the failures after
	// it (refused at once) are apart, never averaged in.
	if u.MeanMs == nil || u.Service.Count != u.Succeeded() || u.Failed.Count != u.Errors {
		t.Errorf("mean %v of %d service times, %d succeeded; %d failure times for %d failures", u.MeanMs, u.Service.Count,
			u.Succeeded(), u.Failed.Count, u.Errors)
	}
}

func refusedOrReset(causes map[string]int64) string {
	if causes["connection_refused"] > 0 {
		return "connection_refused"
	}
	return "connection_reset"
}

// servedChecks reads how many /updates the reference server answered
// from its /metrics (0 when it does not answer).
func servedChecks(base string) int {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, `otasim_server_requests_total{endpoint="updates"`) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int(v)
		}
	}
	return n
}

// refServer starts the reference server on loopback, with its own real
// clock, as an operator would run it; faults are its API fault knobs
// (JSON of PUT /admin/faults, "" for none).
func refServer(t *testing.T, token, faults string) string {
	t.Helper()
	// The in-process server's bounds: the healthy server shares the CPU
	// with the fleet, and its CPU guard would shed /stats for the
	// fleet's own work on a loaded machine.
	srv, err := refserver.New(refserver.Config{DBPath: filepath.Join(t.TempDir(), "server.db"), AdminToken: token,
		Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 5 * time.Second, Bounds: inProcessBounds()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("reference server: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	if faults != "" {
		req, _ := http.NewRequest(http.MethodPut, base+"/admin/faults", strings.NewReader(faults))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("set the faults: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	return base
}

// A healthy server PASSes; the same server 20 ms slower FAILs against it
// as the baseline, and is stored so; the next run's --baseline latest
// passes that FAIL over for the newest PASS. (On a machine so busy that
// the generator falls behind, the honest verdicts are INCONCLUSIVE,
// saying why — never PASS: wantVerdict.)
func TestHealthyAndSlowerThanBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs")
	}
	const token = "baseline-admin-token"
	db := filepath.Join(t.TempDir(), "runs.db")
	// Half the speed and four times the connections of the other sabotage
	// runs: the slowed server below holds each request for 150 ms, and the
	// fleet must still have the capacity to send on schedule.
	scenario := writeScenario(t, strings.Replace(sabotageScenario,
		"speed: 1200, seed: 3, workers: 32, connections: 16", "speed: 600, seed: 3, workers: 64, connections: 64", 1))
	runRecorded := func(target string, extra ...string) (*results.Summary, int, string) {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "run")
		args := append([]string{"run", scenario, "--target", target, "--admin-token", token, "--out", dir, "--quiet",
			"--runs-db", db}, extra...)
		out, errOut, code := runScenariosCLI(t, args...)
		run, err := results.Read(dir)
		if err != nil {
			t.Fatalf("exit %d: %v\n%s%s", code, err, out, errOut)
		}
		return &run.Summary, code, out + errOut
	}
	healthy := refServer(t, token, "")
	first, code, out := runRecorded(healthy, "--baseline", "latest")
	if !strings.Contains(out, "baseline: none yet") {
		t.Errorf("a first run with a baseline:\n%s", out)
	}
	wantVerdict(t, first, code, results.VerdictPass, false, "")
	skipIfBehind(t, first, "a regression against a baseline whose latencies are the generator's own delay")

	// The same server, 150 ms slower on every API request, against the
	// first run (named: latest would pass over a first run the machine
	// made INCONCLUSIVE). 150 ms is far above what a loaded CI machine adds
	// to a healthy run (a mean of 51 ms under go test -race), and far below
	// the 434 ms API target, so the regression alone fails the run.
	slower := refServer(t, token, `{"api":{"latency_ms":150}}`)
	slow, code, out := runRecorded(slower, "--baseline", first.RunID)
	if slow.Baseline == nil || slow.Baseline.RunID != first.RunID || len(slow.Baseline.Regressions) == 0 {
		t.Fatalf("no regression against %s: %+v\n%s", first.RunID, slow.Baseline, out)
	}
	wantVerdict(t, slow, code, results.VerdictFail, false, "regressed against "+first.RunID+": api.updates.mean_ms")

	// Stored as judged, baseline included; never as PASS.
	h, err := history.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	e, err := h.Get(t.Context(), slow.RunID)
	if err != nil || e.Verdict != slow.Verdict || e.Pass {
		t.Fatalf("the slower run is stored as %+v (%v), judged %s", e, err, slow.Verdict)
	}
	out, _, _ = runScenariosCLI(t, "runs", "--runs-db", db)
	if !regexp.MustCompile(slow.RunID + `.*` + string(slow.Verdict)).MatchString(out) {
		t.Errorf("otasim runs does not show the slower run as %s:\n%s", slow.Verdict, out)
	}

	// The next run's latest is the newest PASS: the first run, if it
	// passed, and never the slower one.
	third, _, out := runRecorded(healthy, "--baseline", "latest")
	switch {
	case first.Verdict == results.VerdictPass && (third.Baseline == nil || third.Baseline.RunID != first.RunID):
		t.Errorf("--baseline latest chose %+v, want %s\n%s", third.Baseline, first.RunID, out)
	case first.Verdict != results.VerdictPass && third.Baseline != nil:
		t.Errorf("--baseline latest chose %s, but no run passed", third.Baseline.RunID)
	}
	var entries []history.Entry
	listed, _, _ := runScenariosCLI(t, "runs", "--runs-db", db, "--json")
	if err := json.Unmarshal([]byte(listed), &entries); err != nil || len(entries) != 3 {
		t.Fatalf("runs --json: %v\n%s", err, listed)
	}
	fmt.Fprintf(io.Discard, "%v", entries)
}

// A run given far more devices than one worker can drive — fifty
// thousand devices opening the app a hundred times a day, at 3600
// virtual seconds a second, through one connection: about 58,000 checks
// a second due, on any machine more than one worker can send — is
// INCONCLUSIVE, exit 4, saying the generator fell behind and by how
// much; never PASS, and never FAIL for the server's sake.
func TestStarvedGenerator(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	scenario := writeScenario(t, `name: starved
run: {duration: 2h, speed: 3600, seed: 5, workers: 1, connections: 1}
bundles:
  - {version: 1.1.0, size: 64KB}
fleet:
  devices: 50000
  segments:
    - {name: users, share: 1, sessions_per_day: 100, diurnal: flat, update_mode: always}
timeline:
  - at: 0s
    release: {channel: production, bundle: 1.1.0}
targets:
  adoption_share: 0.5
  adoption_within: 2h
`)
	dir := filepath.Join(t.TempDir(), "run")
	out, errOut, code := runScenariosCLI(t, "run", scenario, "--out", dir, "--quiet", "--no-history")
	run, err := results.Read(dir)
	if err != nil {
		t.Fatalf("exit %d: %v\n%s%s", code, err, out, errOut)
	}
	s := &run.Summary
	if !s.Harness.FellBehind || s.Verdict != results.VerdictInconclusive || code != exitInconclusive {
		t.Fatalf("fell behind %v, verdict %s, exit %d\n%s", s.Harness.FellBehind, s.Verdict, code, out)
	}
	if len(s.VerdictReasons) == 0 || !regexp.MustCompile(`^the load generator fell behind: .*(> 250 ms|> 1%)`).MatchString(s.VerdictReasons[0]) {
		t.Errorf("reasons %q: want the limit that tripped with its measured value first", s.VerdictReasons)
	}
	if !strings.Contains(out, "VERDICT: INCONCLUSIVE") {
		t.Errorf("the output does not say INCONCLUSIVE:\n%s", out)
	}
	for _, tr := range s.Targets {
		if tr.Status == results.StatusFail {
			t.Errorf("target %s FAILed on a starved generator: %s", tr.Name, tr.Note)
		}
	}
	x, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil || !strings.Contains(string(x), `type="generator_fell_behind"`) || strings.Contains(string(x), "<failure") {
		t.Errorf("junit.xml: want an <error> for the harness and no <failure>: %v\n%s", err, x)
	}
}

// A server that stops answering mid-run (it keeps its connections and
// sends nothing) fails every request with a timeout after the response
// timeout: counted, never hidden, and the run FAILs with the target lost.
// abort_on_fail stops such a run early: aborted_by, exit 3.
func TestTargetHangsMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs")
	}
	hangAfter := func(n int64) string {
		var served atomic.Int64
		ok := sabotage.Body("application/json", `{"error":"no_new_version_available","message":"up to date","kind":"up_to_date"}`)
		return sabotage.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if served.Add(1) > n {
				// Hung: the body read, so that the server sees the
				// client give up (and the test's cleanup ends).
				_, _ = io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
				return
			}
			if r.URL.Path == "/stats" {
				sabotage.Body("application/json", `{"status":"ok"}`).ServeHTTP(w, r)
				return
			}
			ok.ServeHTTP(w, r)
		}))
	}
	t.Run("timeouts", func(t *testing.T) {
		s, code, out := runAgainst(t, writeScenario(t, sabotageScenario), hangAfter(40), "--response-timeout", "300ms")
		if s == nil {
			t.Fatalf("no run (exit %d):\n%s", code, out)
		}
		wantVerdict(t, s, code, results.VerdictFail, true, "TARGET LOST at")
		u := s.API["updates"]
		if u.Outcomes[results.OutcomeTimeout] == 0 || u.Causes["timeout"] == 0 || u.Errors != u.Outcomes[results.OutcomeTimeout] {
			t.Errorf("/updates outcomes %v causes %v", u.Outcomes, u.Causes)
		}
	})
	t.Run("abort_on_fail", func(t *testing.T) {
		src := sabotageScenario + "  abort_on_fail:\n    - {target: api_errors, delay: 2m}\n"
		s, code, out := runAgainst(t, writeScenario(t, src), hangAfter(40), "--response-timeout", "300ms")
		if s == nil {
			t.Fatalf("no run (exit %d):\n%s", code, out)
		}
		// Late failures may come after the run's end: then it is not
		// stopped early, whatever else it is judged.
		reason := "stopped early"
		if s.Harness.FellBehind {
			reason = ""
		}
		wantVerdict(t, s, code, results.VerdictFail, true, reason)
		skipIfBehind(t, s, "stopping two virtual minutes after the failures began")
		if !strings.HasPrefix(s.AbortedBy, "api_errors.") || s.VirtualSeconds >= 3600 || s.Interrupted {
			t.Errorf("aborted by %q at %v s (interrupted %v)", s.AbortedBy, s.VirtualSeconds, s.Interrupted)
		}
	})
}
