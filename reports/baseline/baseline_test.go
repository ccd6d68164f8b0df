package baseline

import (
	"bytes"
	"strings"
	"testing"

	"github.com/otasim/otasim/reports/internal/fixture"
	"github.com/otasim/otasim/sim/results"
)

func status(v Verdict, metric string) Status {
	for _, r := range v.Rows {
		if r.Metric == metric {
			return r.Status
		}
	}
	return "absent"
}

func TestCheck(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	for _, tc := range []struct {
		name          string
		mutate        func(s *results.Summary)
		over          Overrides
		want          map[string]Status
		wantRegressed bool
	}{
		{"identical", func(s *results.Summary) {}, nil,
			map[string]Status{"api.updates.mean_ms": StatusOK, "success_rate.overall": StatusOK}, false},
		{"latency within tolerance", func(s *results.Summary) {
			e := s.API["updates"]
			e.MeanMs = scaled(e.MeanMs, 1.15)
			s.API["updates"] = e
		}, nil,
			map[string]Status{"api.updates.mean_ms": StatusOK}, false},
		{"latency regressed", func(s *results.Summary) {
			e := s.API["updates"]
			e.MeanMs = scaled(e.MeanMs, 1.5)
			s.API["updates"] = e
		}, nil,
			map[string]Status{"api.updates.mean_ms": StatusRegressed}, true},
		{"latency regressed but override allows", func(s *results.Summary) {
			e := s.API["updates"]
			e.MeanMs = scaled(e.MeanMs, 1.5)
			s.API["updates"] = e
		},
			Overrides{"api.updates.mean_ms": {Relative: 0.6}}, map[string]Status{"api.updates.mean_ms": StatusOK}, false},
		{"latency improved", func(s *results.Summary) {
			e := s.API["updates"]
			e.MeanMs = scaled(e.MeanMs, 0.5)
			s.API["updates"] = e
		}, nil,
			map[string]Status{"api.updates.mean_ms": StatusImproved}, false},
		{"tiny latency noise stays ok", func(s *results.Summary) { e := s.API["stats"]; e.MeanMs = shifted(e.MeanMs, 4); s.API["stats"] = e }, nil,
			map[string]Status{"api.stats.mean_ms": StatusOK}, false},
		{"success rate dropped", func(s *results.Summary) { s.SuccessRate.Overall -= 0.05 }, nil,
			map[string]Status{"success_rate.overall": StatusRegressed}, true},
		{"success rate rose", func(s *results.Summary) { s.SuccessRate.Overall += 0.025 }, nil,
			map[string]Status{"success_rate.overall": StatusImproved}, false},
		{"adoption no longer reached", func(s *results.Summary) { s.Adoption.TimeTo95S = nil }, nil,
			map[string]Status{"adoption.time_to_95_s": StatusRegressed}, true},
		{"adoption slower", func(s *results.Summary) { s.Adoption.TimeTo95S = f(*s.Adoption.TimeTo95S + 5000) }, nil,
			map[string]Status{"adoption.time_to_95_s": StatusRegressed}, true},
		{"no rollback in either", func(s *results.Summary) {}, nil,
			map[string]Status{"rollback.time_to_95_s": StatusNA}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := fixture.Run(fixture.Params{Seed: 1}).Summary
			cur := fixture.Run(fixture.Params{Seed: 1}).Summary
			tc.mutate(&cur)
			v := Check(&base, &cur, tc.over)
			for m, want := range tc.want {
				if got := status(v, m); got != want {
					t.Errorf("%s: %s, want %s", m, got, want)
				}
			}
			if v.Regressed != tc.wantRegressed {
				t.Errorf("regressed = %v, want %v", v.Regressed, tc.wantRegressed)
			}
			if (len(v.Regressions()) > 0) != tc.wantRegressed {
				t.Error("Regressions() disagrees with Regressed")
			}
			var buf bytes.Buffer
			if err := v.Write(&buf); err != nil {
				t.Fatal(err)
			}
			if tc.wantRegressed && !strings.Contains(buf.String(), "REGRESSED") {
				t.Errorf("table does not say REGRESSED:\n%s", buf.String())
			}
		})
	}
}

func TestCheckNotes(t *testing.T) {
	base := fixture.Run(fixture.Params{Seed: 1}).Summary
	cur := fixture.Run(fixture.Params{Seed: 2}).Summary
	cur.Devices, cur.Scenario = 5, "other"
	cur.Harness.FellBehind = true
	v := Check(&base, &cur, nil)
	joined := strings.Join(v.Notes, "\n")
	for _, want := range []string{"different scenarios", "different fleet sizes", "different seeds", "fell behind"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes lack %q: %s", want, joined)
		}
	}
}

func TestParseOverride(t *testing.T) {
	for _, tc := range []struct {
		in      string
		name    string
		want    Tolerance
		wantErr string
	}{
		{"api.updates.mean_ms=20%", "api.updates.mean_ms", Tolerance{Relative: 0.2}, ""},
		{"api.updates.p99_ms=50", "api.updates.p99_ms", Tolerance{Absolute: 50}, ""},
		{" success_rate.overall = 1%,0.01 ", "success_rate.overall", Tolerance{Relative: 0.01, Absolute: 0.01}, ""},
		{"api.updates.mean=20%", "", Tolerance{}, "unknown metric"},
		{"api.updates.mean_ms", "", Tolerance{}, "want METRIC="},
		{"api.updates.mean_ms=-1", "", Tolerance{}, "not a number"},
		{"api.updates.mean_ms=x%", "", Tolerance{}, "not a percentage"},
	} {
		name, tol, err := ParseOverride(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: got %v, want error %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || name != tc.name || tol != tc.want {
			t.Errorf("%q: got %q %+v %v", tc.in, name, tol, err)
		}
	}
	_, err := ParseOverrides([]string{"a=1", "b=2"})
	if err == nil || !strings.Contains(err.Error(), `"a=1"`) || !strings.Contains(err.Error(), `"b=2"`) {
		t.Errorf("every bad override should be reported: %v", err)
	}
}

func TestToleranceString(t *testing.T) {
	for _, tc := range []struct {
		t    Tolerance
		want string
	}{{Tolerance{0.2, 5}, "20% or 5"}, {Tolerance{Absolute: 0.02}, "0.02"}, {Tolerance{}, "0"}} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.t, got, tc.want)
		}
	}
}

func FuzzParseOverride(f *testing.F) {
	for _, s := range []string{"api.updates.mean_ms=20%", "x=1", "=", "api.updates.p99_ms=1%,2,3%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, tol, err := ParseOverride(s)
		if err == nil {
			if _, ok := LookupMetric(name); !ok || tol.Relative < 0 || tol.Absolute < 0 {
				t.Fatalf("accepted %q as %q %+v", s, name, tol)
			}
		}
	})
}

func scaled(p *float64, k float64) *float64  { v := *p * k; return &v }
func shifted(p *float64, d float64) *float64 { v := *p + d; return &v }

// Tolerances print with their units.
func TestToleranceUnits(t *testing.T) {
	for _, tc := range []struct {
		tol  Tolerance
		unit string
		want string
	}{
		{Tolerance{Relative: 0.2, Absolute: 10}, "ms", "20% or 10 ms"},
		{Tolerance{Relative: 0.1, Absolute: 900}, "s", "10% or 15m"},
		{Tolerance{Absolute: 0.03}, "ratio", "0.03 (3 pts)"},
		{Tolerance{Relative: 0.3}, "ms", "30%"},
	} {
		if got := tc.tol.In(tc.unit); got != tc.want {
			t.Errorf("%+v in %s = %q, want %q", tc.tol, tc.unit, got, tc.want)
		}
	}
}
