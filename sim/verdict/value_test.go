package verdict

import (
	"strings"
	"testing"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/results"
)

func ptr(v float64) *float64 { return &v }

func TestValue(t *testing.T) {
	v := 3600.0
	s := &results.Summary{
		Adoption:    results.Adoption{TimeTo95S: &v, FinalShare: 0.97, BySegment: map[string]results.CohortAdoption{"a": {FinalShare: 0.5}}},
		SuccessRate: results.SuccessRate{Overall: 0.9, Attempts: 10, Successes: 9, Failures: map[string]int64{"update_fail": 1}},
		API: map[string]results.Endpoint{"updates": {Count: 5, MeanMs: ptr(12), ErrorRate: 0.2, Errors: 1,
			BySegment: map[string]results.Endpoint{"a": {Count: 2, P99Ms: ptr(40)}}}},
		CDN: results.CDN{Downloads: 3, MsPer5MB: results.Quantiles{Count: 3, P50: 80}, MsPerDownload: results.Quantiles{Count: 4, P50: 9},
			Outcomes: results.OutcomeCounts{3, 1}, ErrorRate: 0.25},
	}
	tests := []struct {
		metric, seg string
		want        float64
		ok          bool
	}{
		{"adoption.time_to_95_s", "", 3600, true},
		{"adoption.time_to_50_s", "", 0, false},
		{"adoption.final_share", "a", 0.5, true},
		{"adoption.final_share", "zz", 0, false},
		{"success_rate.overall", "", 0.9, true},
		{"success_rate.failed", "", 1, true},
		{"api.updates.mean_ms", "", 12, true},
		{"api.updates.p99_ms", "a", 40, true},
		{"api.stats.mean_ms", "", 0, false},
		{"api.updates.error_rate", "", 0.2, true},
		{"api.stats.error_rate", "", 0, false},
		{"cdn.ms_per_5mb.p50", "", 80, true},
		{"cdn.ms_per_download.p50", "", 9, true},
		{"cdn.error_rate", "", 0.25, true},
		{"rollback.time_to_95_s", "", 0, false},
		{"nonsense", "", 0, false},
	}
	for _, tt := range tests {
		got, ok := Value(s, tt.metric, tt.seg)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Value(%s, %q) = %v, %v; want %v, %v", tt.metric, tt.seg, got, ok, tt.want, tt.ok)
		}
	}
	// Every metric a scenario may name is understood (or reports no value
	// rather than failing silently on a typo).
	for _, m := range scenarios.MetricNames() {
		if _, ok := Value(&results.Summary{API: map[string]results.Endpoint{}}, m, ""); !ok &&
			!strings.Contains(m, "adoption.time") && !strings.Contains(m, "rollback.time") &&
			!strings.HasPrefix(m, "api.") && !strings.HasPrefix(m, "cdn.ms") && m != "cdn.error_rate" && !strings.HasPrefix(m, "install_time") &&
			m != "success_rate.overall" && m != "engagement.error_rate" {
			t.Errorf("metric %s not understood", m)
		}
	}
}
