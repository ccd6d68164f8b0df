package verdict

import (
	"strings"
	"testing"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/results"
)

// summary is a healthy run of 6 virtual hours that every default target
// passes: the cases below each break one thing.
func summary() *results.Summary {
	ep := func(n, failed int64, mean float64) results.Endpoint {
		e := results.Endpoint{Count: n, Errors: failed, ErrorRate: float64(failed) / float64(max(n, 1))}
		e.Outcomes[results.OutcomeSuccess] = n - failed
		e.Outcomes[results.OutcomeHTTPError] = failed
		e.SetLatency(results.Quantiles{Count: n - failed, Mean: mean, P50: mean, P90: mean, P95: mean, P99: mean, Max: mean})
		return e
	}
	return &results.Summary{
		VirtualSeconds: 6 * 3600,
		Adoption:       results.Adoption{Bundle: "1.1.0", FirstActionS: ptr(0), TimeTo90S: ptr(3600), FinalShare: 0.97},
		SuccessRate:    results.SuccessRate{Overall: 0.99, Attempts: 100, Successes: 99},
		CDN: results.CDN{Downloads: 100, Outcomes: results.OutcomeCounts{100}, MsPerDownload: results.Quantiles{Count: 100, P50: 40},
			MsPer5MB: results.Quantiles{Count: 100, P50: 40}},
		API: map[string]results.Endpoint{"updates": ep(1000, 0, 2), "stats": ep(500, 0, 3), "channel_self": ep(10, 0, 1)},
	}
}

func specs(t *testing.T, targets string) []scenarios.TargetSpec {
	t.Helper()
	sc, err := scenarios.Parse("t.yaml", []byte("fleet: {devices: 10}\nrun: {duration: 6h}\nbundles: [{version: 1.1.0, size: 5MB}]\n"+
		"timeline: [{at: 0s, release: {channel: production, bundle: 1.1.0}}]\ntargets: {adoption_share: 0.9, adoption_within: 6h"+targets+"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	return sc.TargetSpecs()
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name   string
		change func(*results.Summary)
		want   results.Verdict
		reason string // in the reasons
		target string // a target and its status
		status results.TargetStatus
	}{
		{"healthy", func(*results.Summary) {}, results.VerdictPass, "", "api", results.StatusPass},
		{"every /updates failed", func(s *results.Summary) {
			e := s.API["updates"]
			e.Outcomes = results.OutcomeCounts{0, 1000}
			e.Errors, e.ErrorRate = 1000, 1
			e.SetLatency(results.Quantiles{})
			s.API["updates"] = e
		}, results.VerdictFail, "api_errors.updates: 100.0% > 1.0%", "api", results.StatusFail},
		{"2% of /stats failed", func(s *results.Summary) {
			e := s.API["stats"]
			e.ErrorRate = 0.02
			s.API["stats"] = e
		}, results.VerdictFail, "api_errors.stats: 2.0% > 1.0%", "api_errors.stats", results.StatusFail},
		{"no /channel_self request: n/a", func(s *results.Summary) { delete(s.API, "channel_self") },
			results.VerdictPass, "", "api_errors.channel_self", results.StatusNA},
		{"slow", func(s *results.Summary) {
			e := s.API["updates"]
			e.MeanMs = ptr(500)
			s.API["updates"] = e
		}, results.VerdictFail, "api: 500.0 ms > 434.0 ms", "api", results.StatusFail},
		{"slow while the generator fell behind", func(s *results.Summary) {
			e := s.API["updates"]
			e.MeanMs = ptr(500)
			s.API["updates"] = e
			s.Harness.FellBehind, s.Harness.Reasons = true, []string{"schedule lag p99 412 ms > 250 ms"}
		}, results.VerdictInconclusive, "schedule lag p99 412 ms > 250 ms", "api", results.StatusInconclusive},
		{"errors while the generator fell behind", func(s *results.Summary) {
			e := s.API["updates"]
			e.ErrorRate = 0.5
			s.API["updates"] = e
			s.Harness.FellBehind = true
		}, results.VerdictFail, "api_errors.updates: 50.0% > 1.0%", "api_errors.updates", results.StatusFail},
		{"no reply succeeded while the generator fell behind", func(s *results.Summary) {
			e := s.API["updates"]
			e.Outcomes = results.OutcomeCounts{0, 1000}
			e.Errors, e.ErrorRate = 1000, 1
			e.SetLatency(results.Quantiles{})
			s.API["updates"] = e
			s.Harness.FellBehind = true
		}, results.VerdictFail, "api: no successful reply: 1000 requests, all failed", "api", results.StatusFail},
		{"healthy but the generator fell behind", func(s *results.Summary) { s.Harness.FellBehind = true },
			results.VerdictInconclusive, "the load generator fell behind", "api", results.StatusPass},
		{"target lost", func(s *results.Summary) {
			s.TargetLost = []results.Outage{{LostAtS: 6, DetectedAtS: 36, Failures: 99}}
		}, results.VerdictFail, "TARGET LOST at 00:00:06", "api", results.StatusPass},
		{"adoption not reached in its window", func(s *results.Summary) { s.Adoption.TimeTo90S = nil },
			results.VerdictFail, "the share was not reached during the run", "adoption", results.StatusFail},
		{"adoption not reached, the run cut short", func(s *results.Summary) {
			s.Adoption.TimeTo90S, s.VirtualSeconds, s.Interrupted = nil, 3600, true
		}, results.VerdictInconclusive, "before the target's window closed at 06:00:00", "adoption", results.StatusInconclusive},
		{"interrupted, every target met", func(s *results.Summary) { s.Interrupted = true },
			results.VerdictInconclusive, "interrupted", "api", results.StatusPass},
		{"timeline skipped", func(s *results.Summary) {
			s.SkippedActions = []results.ActionResult{{Action: "release", Detail: "production → 1.1.0", Error: "the target has no admin API"}}
			s.Adoption.TimeTo90S, s.SuccessRate = nil, results.SuccessRate{}
		}, results.VerdictInconclusive, "depends on skipped timeline actions: release production → 1.1.0", "adoption", results.StatusInconclusive},
		{"bundles under 1 MB", func(s *results.Summary) { s.CDN.MsPer5MB = results.Quantiles{} },
			results.VerdictPass, "", "cdn", results.StatusNA},
		{"no download succeeded", func(s *results.Summary) {
			s.CDN = results.CDN{Failures: 5, Outcomes: results.OutcomeCounts{0, 0, 0, 5}, ErrorRate: 1}
		}, results.VerdictFail, "cdn_errors: 100.0% > 1.0%", "cdn", results.StatusFail},
		{"regressed against the baseline", func(s *results.Summary) {
			s.Baseline = &results.BaselineCheck{RunID: "b1", Regressions: []string{"api.updates.mean_ms 22 ms now, 2 ms in the baseline"}}
		}, results.VerdictFail, "regressed against b1: api.updates.mean_ms", "api", results.StatusPass},
		{"regressed while the generator fell behind", func(s *results.Summary) {
			s.Baseline = &results.BaselineCheck{RunID: "b1", Regressions: []string{"api.updates.mean_ms 22 ms now"}}
			s.Harness.FellBehind = true
		}, results.VerdictInconclusive, "regressed against b1", "api", results.StatusPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summary()
			tt.change(s)
			s.Targets = Targets(specs(t, ""), s)
			Decide(s)
			Decide(s) // idempotent
			reasons := strings.Join(s.VerdictReasons, "\n")
			if s.Verdict != tt.want || s.Pass != (tt.want == results.VerdictPass) || !strings.Contains(reasons, tt.reason) {
				t.Errorf("verdict %s (want %s), reasons:\n%s\nwant %q", s.Verdict, tt.want, reasons, tt.reason)
			}
			if tt.want == results.VerdictPass && len(s.VerdictReasons) != 0 {
				t.Errorf("a PASS with reasons: %v", s.VerdictReasons)
			}
			for _, tr := range s.Targets {
				if tr.Name == tt.target && tr.Status != tt.status {
					t.Errorf("target %s: %s (want %s), note %q", tr.Name, tr.Status, tt.status, tr.Note)
				}
			}
		})
	}
}

// A load run judges /updates only: the other targets do not apply.
func TestDecideLoadRun(t *testing.T) {
	s := summary()
	s.Load = &results.Load{}
	s.Adoption, s.CDN, s.SuccessRate = results.Adoption{}, results.CDN{}, results.SuccessRate{}
	s.Targets = Targets(specs(t, ""), s)
	Decide(s)
	if s.Verdict != results.VerdictPass {
		t.Fatalf("%s %v", s.Verdict, s.VerdictReasons)
	}
	for _, tr := range s.Targets {
		want := results.StatusNA
		if strings.HasPrefix(tr.Metric, "api.updates.") {
			want = results.StatusPass
		}
		if tr.Status != want {
			t.Errorf("%s: %s, want %s", tr.Name, tr.Status, want)
		}
	}
}

func TestWatch(t *testing.T) {
	if NewWatch(specs(t, "")) != nil {
		t.Fatal("a watch without abort_on_fail")
	}
	w := NewWatch(specs(t, ", abort_on_fail: [{target: api_errors, delay: 30s}]"))
	failing := func(rate float64) *results.Summary {
		s := summary()
		e := s.API["updates"]
		e.ErrorRate = rate
		s.API["updates"] = e
		return s
	}
	if got := w.Check(failing(0.5), 10); got != "" {
		t.Fatalf("stopped at once: %s", got)
	}
	if got := w.Check(failing(0), 20); got != "" { // recovered: the delay starts afresh
		t.Fatalf("stopped after recovering: %s", got)
	}
	if got := w.Check(failing(0.5), 30); got != "" {
		t.Fatalf("stopped early: %s", got)
	}
	if got := w.Check(failing(0.5), 30+(30*time.Second).Seconds()); got != "api_errors.updates" {
		t.Fatalf("not stopped after the delay: %q", got)
	}
}
