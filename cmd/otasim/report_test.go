package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/reports/history"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/results"
)

// TestMain keeps every test's run history out of the source tree: `otasim
// run` records each run in $OTASIM_RUNS_DB.
func TestMain(m *testing.M) {
	// The test binary stands in for the otasim binary when a test needs
	// a real process of it (a server to kill with SIGKILL).
	if os.Getenv(asOtasimEnv) == "1" {
		os.Exit(run(append([]string{"otasim"}, os.Args[1:]...)))
	}
	dir, err := os.MkdirTemp("", "otasim-cmd-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("OTASIM_RUNS_DB", filepath.Join(dir, "runs.db"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// shortRun runs ci-smoke for one virtual hour with 60 devices (about 2 s)
// into a fresh folder, recording it in db. One hour is too short for
// ci-smoke's adoption target (90% within 6 h: it would be INCONCLUSIVE),
// so the run's copy of the scenario leaves it out.
func shortRun(t *testing.T, db string, extra ...string) (dir, out, errOut string, code int) {
	t.Helper()
	src, err := scenarios.Bundled("ci-smoke")
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.Replace(string(src), "adoption_share: 0.9\n  adoption_within: 6h", "adoption_share: 0.9\n  adoption_within: 6h\n  disable: [adoption]", 1))
	file := filepath.Join(t.TempDir(), "ci-smoke.yaml")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), "run")
	args := append([]string{"run", "--devices", "60", "--duration", "1h", "--quiet", "--out", dir, "--runs-db", db}, extra...)
	out, errOut, code = runScenariosCLI(t, append(args, file)...)
	return dir, out, errOut, code
}

func TestRunReportsHistoryCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end runs")
	}
	db := filepath.Join(t.TempDir(), "hist", "runs.db")
	dir1, out, errOut, code := shortRun(t, db)
	if !isVerdict(code) {
		t.Fatalf("first run: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"report: " + filepath.Join(dir1, "report.html"), "recorded in " + db} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	run1, err := results.Read(dir1)
	if err != nil {
		t.Fatal(err)
	}
	wantVerdict(t, &run1.Summary, code, results.VerdictPass, false, "")
	page, err := os.ReadFile(filepath.Join(dir1, "report.html"))
	if err != nil || !strings.Contains(string(page), run1.Summary.RunID) {
		t.Fatalf("report.html: %v", err)
	}
	x, err := os.ReadFile(filepath.Join(dir1, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	cases := len(run1.Summary.Targets) // and a case for a starved generator
	if run1.Summary.Harness.FellBehind {
		cases++
	}
	if err := xml.Unmarshal(x, &suites); err != nil || len(suites.Suites) != 1 || suites.Suites[0].Name != "otasim.ci-smoke" ||
		len(suites.Suites[0].Cases) != cases {
		t.Errorf("junit.xml: %v %+v", err, suites)
	}

	// A second run against the first as its baseline (named by its
	// folder: latest would pass it over if the machine made it
	// INCONCLUSIVE).
	dir2, out, errOut, code := shortRun(t, db, "--baseline", dir1)
	if code != exitOK && code != exitTargetFail && code != exitInconclusive {
		t.Fatalf("second run: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "BASELINE") || !strings.Contains(out, run1.Summary.RunID) {
		t.Errorf("no baseline verdict against %s:\n%s", run1.Summary.RunID, out)
	}
	run2, err := results.Read(dir2)
	if err != nil {
		t.Fatal(err)
	}

	// otasim runs.
	out, _, code = runScenariosCLI(t, "runs", "--runs-db", db)
	if code != exitOK || !strings.HasPrefix(out, "ID") || !strings.Contains(out, run1.Summary.RunID) || !strings.Contains(out, run2.Summary.RunID) {
		t.Errorf("runs (exit %d):\n%s", code, out)
	}
	out, _, code = runScenariosCLI(t, "runs", "--runs-db", db, "--json")
	var entries []history.Entry
	if err := json.Unmarshal([]byte(out), &entries); err != nil || code != exitOK || len(entries) != 2 || entries[0].ID != run2.Summary.RunID {
		t.Errorf("runs --json (exit %d): %v\n%s", code, err, out)
	}

	// otasim report: from the history into the run folder, and to a file.
	os.Remove(filepath.Join(dir1, "report.html"))
	out, _, code = runScenariosCLI(t, "report", "--runs-db", db, "latest~1")
	if code != exitOK || !strings.Contains(out, filepath.Join(dir1, "report.html")) {
		t.Errorf("report latest~1 (exit %d):\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir1, "report.html")); err != nil {
		t.Errorf("report not written again: %v", err)
	}
	file := filepath.Join(t.TempDir(), "r.html")
	if _, errOut, code := runScenariosCLI(t, "report", "--runs-db", db, "--out", file, dir2); code != exitOK {
		t.Errorf("report FOLDER --out: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(file); err != nil {
		t.Error(err)
	}

	// otasim compare.
	cmpFile := filepath.Join(t.TempDir(), "cmp.html")
	out, errOut, code = runScenariosCLI(t, "compare", "--runs-db", db, "--out", cmpFile, "latest~1", "latest")
	if code != exitOK || !strings.Contains(out, "api.updates.mean_ms") || !strings.Contains(out, "DELTA") {
		t.Errorf("compare (exit %d):\n%s\n%s", code, out, errOut)
	}
	if b, err := os.ReadFile(cmpFile); err != nil || !strings.Contains(string(b), "cmp_adoption") {
		t.Errorf("comparison page: %v", err)
	}
	// Without --out, beside the runs (the folder holding B's run
	// folder), never in the working folder; flags after the runs.
	cwd := t.TempDir()
	t.Chdir(cwd)
	out, errOut, code = runScenariosCLI(t, "compare", dir1, dir2, "--runs-db", db)
	want := filepath.Join(filepath.Dir(dir2), "compare-"+run1.Summary.RunID+"-"+run2.Summary.RunID+".html")
	if _, err := os.Stat(want); err != nil || code != exitOK || !strings.Contains(out, "comparison: "+want) {
		t.Errorf("compare without --out (exit %d): %v\n%s%s", code, err, out, errOut)
	}
	if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
		t.Errorf("compare wrote into the working folder: %v", entries)
	}
	// report with its flags after the run.
	file2 := filepath.Join(t.TempDir(), "r2.html")
	if _, errOut, code := runScenariosCLI(t, "report", "latest", "--runs-db", db, "--out", file2); code != exitOK {
		t.Errorf("report latest --out: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(file2); err != nil {
		t.Error(err)
	}

	// A baseline the run cannot match: it regresses, exit 3.
	base := filepath.Join(t.TempDir(), "base")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	better := *run1
	ep := better.Summary.API["updates"]
	fast := 0.001
	ep.MeanMs = &fast
	better.Summary.API = map[string]results.Endpoint{"updates": ep}
	if err := results.Write(base, &better); err != nil {
		t.Fatal(err)
	}
	dir3, out, errOut, code := shortRun(t, db, "--baseline", base, "--tolerance", "api.updates.mean_ms=0")
	if !strings.Contains(out, "REGRESSED") {
		t.Errorf("regressed baseline: exit %d\n%s\n%s", code, out, errOut)
	}
	run3, err := results.Read(dir3)
	if err != nil {
		t.Fatal(err)
	}
	wantVerdict(t, &run3.Summary, code, results.VerdictFail, false, "api.updates.mean_ms")
	// report.html shows the verdict.
	if page, err := os.ReadFile(filepath.Join(dir3, "report.html")); err != nil || !strings.Contains(string(page), `id="baseline"`) {
		t.Errorf("report.html lacks the baseline section: %v", err)
	}
	// junit.xml carries the verdict as a second suite.
	x, err = os.ReadFile(filepath.Join(dir3, "junit.xml"))
	if err != nil || !strings.Contains(string(x), `name="otasim.ci-smoke.baseline"`) || !strings.Contains(string(x), `type="regression"`) {
		t.Errorf("junit.xml lacks the baseline suite: %v\n%s", err, x)
	}
}

// runCLIError runs the app and returns the message and exit code run()
// would print and give.
func runCLIError(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &errOut
	err := execute(app, append([]string{"otasim"}, args...))
	if err == nil {
		return "", exitOK
	}
	var coded cli.ExitCoder
	if errors.As(err, &coded) {
		return err.Error(), coded.ExitCode()
	}
	return err.Error(), exitError
}

func TestReportCommandsBadInput(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte(strings.Repeat("not a database\n", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.db")
	h, err := history.Create(t.Context(), empty)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"report without run", []string{"report"}, exitUsage, "report takes one run"},
		{"report, no history", []string{"report", "--runs-db", missing, "latest"}, exitError, "no run history"},
		{"report, corrupt history", []string{"report", "--runs-db", corrupt, "latest"}, exitError, "not a readable run history"},
		{"report, unknown run", []string{"report", "--runs-db", empty, "20990101"}, exitError, "unknown run"},
		{"report, bad echarts", []string{"report", "--runs-db", empty, "--echarts-js", missing, "latest"}, exitUsage, "echarts build"},
		{"runs, no history", []string{"runs", "--runs-db", missing}, exitError, "no run history"},
		{"runs, bad limit", []string{"runs", "--runs-db", empty, "--limit", "-1"}, exitUsage, "--limit"},
		{"compare one run", []string{"compare", "latest"}, exitUsage, "two runs"},
		{"compare unknown", []string{"compare", "--runs-db", empty, "a1", "b2"}, exitError, `a1: unknown run`},
		{"run, bad tolerance", []string{"run", "--tolerance", "nope=1", "--out", filepath.Join(dir, "r1"), "ci-smoke"}, exitUsage, "unknown metric"},
		{"run, bad dashboard", []string{"run", "--dashboard", "nonsense", "--out", filepath.Join(dir, "r2"), "ci-smoke"}, exitUsage, "HOST:PORT"},
		{"run, unknown baseline", []string{"run", "--runs-db", empty, "--baseline", "20990101", "--out", filepath.Join(dir, "r3"), "ci-smoke"}, exitError, "unknown run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, code := runCLIError(t, tc.args...)
			if code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("exit %d with %q; want exit %d with %q", code, msg, tc.code, tc.want)
			}
		})
	}
}
