package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otasim/otasim/sim/results"
)

// shardScenario is a small fleet (120 installed devices and 20 joining,
// some churning) over one virtual hour, 6 s at speed 600, with a release
// at the start: short enough for a test of real processes, with every
// kind of device the partition deals out.
const shardScenario = `name: shards
run: {duration: 1h, speed: 600, seed: 5, workers: 16, connections: 8}
bundles:
  - {version: 1.1.0, size: 64KB}
fleet:
  devices: 120
  segments:
    - {name: users, share: 0.75, sessions_per_day: 48, diurnal: flat, update_mode: always, churn_per_day: 0.5}
    - {name: beta, share: 0.25, sessions_per_day: 48, diurnal: flat, update_mode: always, join: {devices: 20, from: 5m, to: 40m}}
timeline:
  - at: 0s
    release: {channel: production, bundle: 1.1.0}
targets:
  adoption_share: 0.5
  adoption_within: 1h
`

const shardToken = "shards-admin-token-0123456789"

// proc is an otasim process of the test binary (TestMain runs it as
// otasim), its output kept.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	code int
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(os.Args[0], args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), asOtasimEnv+"=1")
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit):
			p.code = exit.ExitCode()
		default:
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); <-p.done })
	return p
}

// wait waits for the process to end (at most two minutes: a bound, not
// a measurement) and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(2 * time.Minute):
		t.Fatalf("otasim %v did not end:\n%s", p.cmd.Args[1:], p.output())
	}
	return 0
}

// find waits until the output matches re and returns its first group.
func (p *proc) find(t *testing.T, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := rx.FindStringSubmatch(p.output()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-p.done:
			if m := rx.FindStringSubmatch(p.output()); m != nil {
				return m[len(m)-1]
			}
			t.Fatalf("otasim %v ended (exit %d) before printing %q:\n%s", p.cmd.Args[1:], p.code, re, p.output())
		default:
		}
	}
	t.Fatalf("otasim %v never printed %q:\n%s", p.cmd.Args[1:], re, p.output())
	return ""
}

// shardRig is a reference server and a collector for a sharded run.
type shardRig struct {
	t        *testing.T
	scenario string
	target   string
	dir      string
}

func newShardRig(t *testing.T) *shardRig {
	if testing.Short() {
		t.Skip("end-to-end run of real processes")
	}
	r := &shardRig{t: t, scenario: writeScenario(t, shardScenario), dir: t.TempDir()}
	srv := startProc(t, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(r.dir, "server.db"),
		"--admin-token", shardToken, "--log-level", "error",
		"--cpu-guard=false") // the shards share its CPU: the guard would shed /stats for their work
	r.target = srv.find(t, `listening on (http://\S+)`)
	return r
}

func (r *shardRig) collect(shards int, out string, extra ...string) (*proc, string) {
	args := append([]string{"collect", r.scenario, "--shards", strconv.Itoa(shards), "--listen", "127.0.0.1:0",
		"--target", r.target, "--admin-token", shardToken, "--out", out, "--no-history", "--quiet", "--grace", "20s"}, extra...)
	p := startProc(r.t, args...)
	return p, p.find(r.t, `listening on (http://\S+)`)
}

func (r *shardRig) shard(i, n int, collector string) (*proc, string) {
	out := filepath.Join(r.dir, fmt.Sprintf("shard-%d", i))
	args := []string{"run", r.scenario, "--target", r.target, "--admin-token", shardToken, "--shard", fmt.Sprintf("%d/%d", i, n),
		"--out", out, "--no-history", "--quiet"}
	if collector != "" {
		args = append(args, "--collector", collector)
	}
	return startProc(r.t, args...), out
}

func readRun(t *testing.T, dir string) *results.Run {
	t.Helper()
	run, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// TestShardedRun: a server, a collector and four shards, real processes
// on loopback. The merged run has the population of a single process of
// the same seed, segment by segment; its request counts are the sums of
// the shards'; the release was carried out once; one verdict, and the
// collector's exit code is the verdict's.
func TestShardedRun(t *testing.T) {
	r := newShardRig(t)
	single := filepath.Join(r.dir, "single")
	if _, errOut, code := runProcess(t, "run", r.scenario, "--out", single, "--no-history", "--quiet"); !isVerdict(code) {
		t.Fatalf("single run: exit %d\n%s", code, errOut)
	}
	merged := filepath.Join(r.dir, "merged")
	col, url := r.collect(4, merged, "--metrics-addr", "127.0.0.1:0", "--metrics-linger", "1m")
	metrics := col.find(t, `metrics: (http://\S+)`)
	var shards []*proc
	var dirs []string
	for i := range 4 {
		p, dir := r.shard(i, 4, url)
		shards, dirs = append(shards, p), append(dirs, dir)
	}
	waitPastStart(t, shards[0], 0)
	scrape(t, metrics) // a scrape during the run: the collector then waits for one of the final values
	for i, p := range shards {
		if code := p.wait(t); !isVerdict(code) {
			t.Fatalf("shard %d: exit %d\n%s", i, code, p.output())
		}
	}
	var final string
	for deadline := time.Now().Add(time.Minute); final == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if text := scrape(t, metrics); regexp.MustCompile(`(?m)^otasim_run_finished\{[^}]*\} 1$`).MatchString(text) {
			final = text
		}
	}
	if final == "" {
		t.Fatal("the collector's metrics never showed the finished run")
	}
	code := col.wait(t)
	if !isVerdict(code) {
		t.Fatalf("collector: exit %d\n%s", code, col.output())
	}
	m := readRun(t, merged).Summary
	want := map[results.Verdict]int{results.VerdictPass: 0, results.VerdictFail: 3, results.VerdictInconclusive: 4}[m.Verdict]
	if code != want {
		t.Errorf("collector exit %d, verdict %s", code, m.Verdict)
	}
	s := readRun(t, single).Summary
	if m.Devices != s.Devices || len(m.Cohorts) != len(s.Cohorts) {
		t.Fatalf("merged %d devices in %d cohorts, single process %d in %d", m.Devices, len(m.Cohorts), s.Devices, len(s.Cohorts))
	}
	for c := range s.Cohorts {
		if m.Cohorts[c] != s.Cohorts[c] {
			t.Errorf("cohort %d: merged %+v, single process %+v", c, m.Cohorts[c], s.Cohorts[c])
		}
	}
	var requests, updates, stats int64
	for i, dir := range dirs {
		x := readRun(t, dir).Summary
		if x.Shard != fmt.Sprintf("%d/4", i) {
			t.Errorf("shard %d's summary says shard %q", i, x.Shard)
		}
		requests += x.Harness.Requests
		updates += x.API["updates"].Count
		stats += x.API["stats"].Count
		if sh := m.Shards[i]; sh.Devices != x.Devices || sh.Requests != x.Harness.Requests {
			t.Errorf("shards section %+v, shard's summary %d devices %d requests", sh, x.Devices, x.Harness.Requests)
		}
	}
	if m.Harness.Requests != requests || m.API["updates"].Count != updates || m.API["stats"].Count != stats || requests == 0 {
		t.Errorf("merged requests %d (updates %d, stats %d), the shards' sums %d (%d, %d)",
			m.Harness.Requests, m.API["updates"].Count, m.API["stats"].Count, requests, updates, stats)
	}
	if len(m.Shards) != 4 {
		t.Fatalf("shards section %+v", m.Shards)
	}
	if got := sumSeries(t, final, "otasim_requests_total"); got != float64(m.Harness.Requests) {
		t.Errorf("the collector's otasim_requests_total sums to %v, the merged summary's requests are %d", got, m.Harness.Requests)
	}
	if !regexp.MustCompile(`(?m)^otasim_requests_total\{[^}]*shard="all"`).MatchString(final) {
		t.Error(`the collector's series are not labelled shard="all"`)
	}
	if len(m.Timeline) != 1 || m.Timeline[0].Outcome != "ok" {
		t.Errorf("timeline %+v", m.Timeline)
	}
	if n := historyEvents(t, r.target, "production", "bundle_set", "1.1.0"); n != 1 {
		t.Errorf("the server recorded %d releases on production, want the collector's one", n)
	}
	// The same merge offline, from the shards' folders.
	offline := filepath.Join(r.dir, "offline")
	_, errOut, mcode := runProcess(t, append(append([]string{"merge"}, dirs...), "--out", offline, "--no-history", "--quiet")...)
	if mcode != code {
		t.Errorf("otasim merge: exit %d, the collector's %d\n%s", mcode, code, errOut)
	}
	o := readRun(t, offline).Summary
	if o.Devices != m.Devices || o.Harness.Requests != m.Harness.Requests || o.Verdict != m.Verdict ||
		*o.API["updates"].P99Ms != *m.API["updates"].P99Ms || o.Adoption.FinalShare != m.Adoption.FinalShare {
		t.Errorf("otasim merge: %d devices, %d requests, %s, p99 %v, adoption %v; the collector: %d, %d, %s, %v, %v",
			o.Devices, o.Harness.Requests, o.Verdict, *o.API["updates"].P99Ms, o.Adoption.FinalShare,
			m.Devices, m.Harness.Requests, m.Verdict, *m.API["updates"].P99Ms, m.Adoption.FinalShare)
	}
}

// historyEvents counts a channel's history events of a kind and bundle.
func historyEvents(t *testing.T, target, channel, event, bundle string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, target+"/admin/apps/com.example.app/channels/"+channel+"/history", nil)
	req.Header.Set("Authorization", "Bearer "+shardToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h []struct {
		Event  string `json:"event"`
		Bundle string `json:"bundle"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("history: %v", err)
	}
	n := 0
	for _, e := range h {
		if e.Event == event && e.Bundle == bundle {
			n++
		}
	}
	return n
}

// The faults of a sharded run, each with the verdict docs/distributed.md
// gives it, the other shards' measurements kept.
func TestShardedRunFaults(t *testing.T) {
	t.Run("a shard never starts", func(t *testing.T) {
		r := newShardRig(t)
		merged := filepath.Join(r.dir, "merged")
		col, url := r.collect(3, merged, "--register-timeout", "10s") // long enough for two loaded shards to set up
		var shards []*proc
		var dirs []string
		for i := range 2 {
			p, dir := r.shard(i, 3, url)
			shards, dirs = append(shards, p), append(dirs, dir)
		}
		for i, p := range shards {
			if code := p.wait(t); !isVerdict(code) {
				t.Fatalf("shard %d: exit %d\n%s", i, code, p.output())
			}
		}
		if code := col.wait(t); code != exitInconclusive {
			t.Fatalf("collector: exit %d, want %d (INCONCLUSIVE)\n%s", code, exitInconclusive, col.output())
		}
		m := readRun(t, merged).Summary
		checkShards(t, &m, map[int]string{0: measured, 1: measured, 2: results.ShardMissing}, results.VerdictInconclusive)
		checkKept(t, &m, dirs...)
	})
	t.Run("a shard killed mid-run", func(t *testing.T) {
		r := newShardRig(t)
		merged := filepath.Join(r.dir, "merged")
		col, url := r.collect(2, merged, "--grace", "10s") // long enough for shard 0 to send its results
		p0, dir0 := r.shard(0, 2, url)
		p1, _ := r.shard(1, 2, url)
		waitPastStart(t, p1, time.Second) // a trigger, not a measurement
		if err := p1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if code := p0.wait(t); !isVerdict(code) {
			t.Fatalf("shard 0: exit %d\n%s", code, p0.output())
		}
		if code := col.wait(t); code != exitInconclusive {
			t.Fatalf("collector: exit %d, want %d (INCONCLUSIVE)\n%s", code, exitInconclusive, col.output())
		}
		m := readRun(t, merged).Summary
		checkShards(t, &m, map[int]string{0: measured, 1: results.ShardMissing}, results.VerdictInconclusive)
		checkKept(t, &m, dir0)
	})
	t.Run("a collector restarted", func(t *testing.T) {
		r := newShardRig(t)
		merged := filepath.Join(r.dir, "merged")
		col, url := r.collect(2, merged)
		var shards []*proc
		var dirs []string
		for i := range 2 {
			p, dir := r.shard(i, 2, url)
			shards, dirs = append(shards, p), append(dirs, dir)
		}
		waitPastStart(t, shards[0], time.Second)
		if err := col.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-col.done
		again := startProc(t, "collect", r.scenario, "--shards", "2", "--listen", url[len("http://"):],
			"--target", r.target, "--admin-token", shardToken, "--out", merged, "--no-history", "--quiet", "--grace", "20s")
		for i, p := range shards {
			if code := p.wait(t); !isVerdict(code) {
				t.Fatalf("shard %d: exit %d\n%s", i, code, p.output())
			}
		}
		code := again.wait(t)
		if !isVerdict(code) {
			t.Fatalf("restarted collector: exit %d\n%s", code, again.output())
		}
		m := readRun(t, merged).Summary
		checkShards(t, &m, map[int]string{0: measured, 1: measured}, "")
		checkKept(t, &m, dirs...)
		if n := historyEvents(t, r.target, "production", "bundle_set", "1.1.0"); n != 1 {
			t.Errorf("the server recorded %d releases on production, want one", n)
		}
	})
}

// waitPastStart waits until the shard's clock started, and after more.
func waitPastStart(t *testing.T, p *proc, after time.Duration) {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, p.find(t, `starts at (\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(at.Add(after)))
}

// measured stands for a shard that sent its results: ok, or fell behind
// on a loaded machine (its verdict is then INCONCLUSIVE, honestly).
const measured = "measured"

// checkShards checks the shards section (and the verdict, when given).
func checkShards(t *testing.T, s *results.Summary, want map[int]string, verdict results.Verdict) {
	t.Helper()
	if len(s.Shards) != len(want) {
		t.Fatalf("shards section %+v, want %d shards", s.Shards, len(want))
	}
	for i, st := range want {
		got := s.Shards[i].Status
		if st == measured && (got == results.ShardOK || got == results.ShardFellBehind) {
			continue
		}
		if got != st {
			t.Errorf("shard %d: %s (%s), want %s", i, s.Shards[i].Status, s.Shards[i].Reason, st)
		}
	}
	if verdict != "" && s.Verdict != verdict {
		t.Errorf("verdict %s %q, want %s", s.Verdict, s.VerdictReasons, verdict)
	}
}

// checkKept checks that the merged run holds what the shards measured.
func checkKept(t *testing.T, s *results.Summary, dirs ...string) {
	t.Helper()
	var requests int64
	var devices int
	for _, d := range dirs {
		x := readRun(t, d).Summary
		requests += x.Harness.Requests
		devices += x.Devices
	}
	if s.Harness.Requests != requests || s.Devices != devices || requests == 0 {
		t.Errorf("merged %d requests of %d devices, the shards' %d of %d", s.Harness.Requests, s.Devices, requests, devices)
	}
}

// scrape reads a Prometheus exposition ("" when it cannot be read).
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}

// sumSeries sums the samples of a metric in an exposition.
func sumSeries(t *testing.T, text, metric string) float64 {
	t.Helper()
	var sum float64
	for _, m := range regexp.MustCompile(`(?m)^`+metric+`\{[^}]*\} (\S+)$`).FindAllStringSubmatch(text, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatalf("%s: %v", m[0], err)
		}
		sum += v
	}
	return sum
}

// Bad usage of the sharded commands is exit 2 with a message that says
// what to do, before anything runs.
func TestShardUsageErrors(t *testing.T) {
	t.Setenv(jobIndexEnv, "")
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"shard without a target", []string{"run", "ci-smoke", "--shard", "1/4", "--out", dir}, "needs an external --target"},
		{"index out of range", []string{"run", "ci-smoke", "--shard", "4/4", "--target", "http://127.0.0.1:1"}, "the index must be from 0 to 3"},
		{"not I/N", []string{"run", "ci-smoke", "--shard", "2", "--target", "http://127.0.0.1:1"}, "want I/N"},
		{"shard and shards", []string{"run", "ci-smoke", "--shard", "0/2", "--shards", "2", "--target", "http://127.0.0.1:1"}, "not both"},
		{"shards without the job index", []string{"run", "ci-smoke", "--shards", "4", "--target", "http://127.0.0.1:1"}, jobIndexEnv},
		{"collector without a shard", []string{"run", "ci-smoke", "--collector", "http://127.0.0.1:1"}, "for a sharded run"},
		{"bad start", []string{"run", "ci-smoke", "--shard", "0/2", "--target", "http://127.0.0.1:1", "--start-at", "soon"}, "RFC 3339"},
		{"collect without shards", []string{"collect", "ci-smoke"}, "--shards N is required"},
		{"merge without folders", []string{"merge"}, "merge takes the shards' run folders"},
		{"render without a target", []string{"k8s", "render", "ci-smoke", "--shards", "2", "--image", "otasim:dev", "--admin-token", "0123456789abcdef"}, "want the server's http(s) base URL"},
		{"serve with two clocks", []string{"serve", "--clock-from", "http://127.0.0.1:1", "--clock-start", "2030-01-01T00:00:00Z"}, "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			app := newApp()
			app.Writer, app.ErrWriter = &out, &errOut
			err := execute(app, append([]string{"otasim"}, tt.args...))
			var coded interface{ ExitCode() int }
			if !errors.As(err, &coded) || coded.ExitCode() != exitUsage || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want exit %d with %q\n%s%s", err, exitUsage, tt.want, &out, &errOut)
			}
		})
	}
}
