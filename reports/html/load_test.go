package html

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otasim/otasim/reports/internal/fixture"
	"github.com/otasim/otasim/sim/results"
)

// loadRun is a constructed run of a load profile: a ramp from 100 to
// 400 requests/s over 8 s that the generator followed until second 6 and
// then fell behind, or the max profile (nothing intended).
func loadRun(profile string) *results.Run {
	run := fixture.Run(fixture.Params{Seed: 3})
	l := &results.Load{Profile: profile, DurationS: 8, WallS: 8, Workers: 16, Backlog: 1024, LateBoundMs: 10,
		LatencyMs:     results.Quantiles{Count: 2000, Mean: 9, P50: 4.2, P90: 18, P95: 31, P99: 120, Max: 410},
		ServiceMs:     results.Quantiles{Count: 2000, Mean: 3, P50: 2.1, P90: 4.5, P95: 6, P99: 14, Max: 40},
		ScheduleLagMs: results.Quantiles{Count: 2000, Mean: 6, P50: 0.1, P90: 12, P95: 25, P99: 110, Max: 400},
		ByStatus:      map[string]int64{"200": 2000}}
	for i := range 8 {
		due := int64(100 + i*40)
		sent := due
		if i >= 6 {
			sent = due / 2
		}
		if profile == "max" {
			due, sent = 0, 250
		}
		l.PerSecond = append(l.PerSecond, results.LoadSecond{Due: due, Sent: sent})
		l.Scheduled += due
		l.Due += due
		l.Sent += sent
	}
	l.IntendedRPS, l.AchievedRPS = float64(l.Due)/l.WallS, float64(l.Sent)/l.WallS
	l.Late, l.Saturated, l.Reasons = 120, profile != "max", []string{"late"}
	run.Summary.Load = l
	return run
}

// The load charts' data, for an open and the closed profile, against the
// golden file; a rollout run has none.
func TestLoadChartsGolden(t *testing.T) {
	got := map[string][]goldenSection{}
	for _, profile := range []string{"ramping", "max"} {
		d, err := Report(loadRun(profile), Options{ECharts: []byte("/*echarts*/")})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sectionsOf(t, d) {
			if strings.HasPrefix(s.ID, "load_") {
				got[profile] = append(got[profile], s)
			}
		}
		if n := len(got[profile]); n != 2 {
			t.Errorf("%s: %d load charts, want 2", profile, n)
		}
	}
	ramp, _ := json.Marshal(got["ramping"])
	maxp, _ := json.Marshal(got["max"])
	for _, want := range []string{`"intended"`, `"achieved"`, `"schedule lag"`, `[6,340]`, `[6,170]`, `[7,190]`, `[0,100]`} {
		if !strings.Contains(string(ramp), want) {
			t.Errorf("ramping charts lack %s", want)
		}
	}
	if strings.Contains(string(maxp), `"intended"`) || strings.Contains(string(maxp), `"schedule lag"`) {
		t.Error("max charts show an intended rate or a schedule lag")
	}
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "load.golden.json")
	if *update {
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(out)+"\n" {
		t.Errorf("load chart data differs from %s (run go test -update after checking the change)", path)
	}

	d, err := Report(fixture.Run(fixture.Params{Seed: 3}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Sections() {
		if strings.HasPrefix(s.ID, "load_") {
			t.Errorf("a rollout run has load chart %s", s.ID)
		}
	}
}
