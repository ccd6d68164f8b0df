package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otasim/otasim/reports"
	"github.com/otasim/otasim/sim/results"
)

// A scenario with a load section runs the load profile against the
// in-process reference server: every scheduled check is sent and answered,
// and the run folder holds the load section, /updates latencies and the
// histograms.
func TestRunLoadProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	dir := t.TempDir()
	scenario := filepath.Join(dir, "load.yaml")
	err := os.WriteFile(scenario, []byte(`name: load-test
app:
  id: com.example.app
fleet:
  devices: 50
  segments:
    - name: all
      share: 1
run:
  duration: 1h
  workers: 4
load:
  profile: ramping
  rate: 100
  stages:
    - {target: 300, duration: 500ms}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	stdout, stderr, code := runScenariosCLI(t, "run", scenario, "--out", out, "--runs-db", filepath.Join(dir, "runs.db"))
	if !isVerdict(code) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// The load run's own header, not the rollout simulation's.
	if !strings.Contains(stderr, "otasim run load-test: load profile ramping") || strings.Contains(stderr, "virtual at speed") {
		t.Errorf("header:\n%s", stderr)
	}
	for _, want := range []string{"load profile ramping", "latency (intended time):", "service time:", "run folder: " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// The report is written, with the load charts.
	page, err := os.ReadFile(filepath.Join(out, reports.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{`id="load_rps"`, `id="load_latency"`} {
		if !strings.Contains(string(page), id) {
			t.Errorf("report lacks %s", id)
		}
	}
	run, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	wantVerdict(t, &run.Summary, code, results.VerdictPass, false, "")
	l := run.Summary.Load
	if l == nil {
		t.Fatal("summary has no load section")
	}
	// (100 + 300) / 2 × 0.5 s = 100 checks.
	if l.Scheduled != 100 || l.Due != 100 || l.Sent+l.Dropped != 100 || l.ByStatus["200"] != l.Sent || l.Failed != 0 {
		t.Errorf("load section %+v", l)
	}
	if u := run.Summary.API["updates"]; u.Count != l.Sent {
		t.Errorf("api.updates count %d, sent %d", u.Count, l.Sent)
	}
	for _, name := range []string{"api.updates.latency", "api.updates.service", "schedule_lag"} {
		if h, ok := run.Histograms.Histograms[name]; !ok || h.Count != l.Sent {
			t.Errorf("histogram %s: %+v", name, h)
		}
	}
	// The report and JUnit read a load run like any other.
	if err := reports.WriteRunArtifacts(t.Context(), out, run, reports.Options{}); err != nil {
		t.Fatalf("report of a load run: %v", err)
	}
	for _, f := range []string{reports.ReportFile, reports.JUnitFile} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
