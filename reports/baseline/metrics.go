package baseline

import (
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/verdict"
)

// Worse says which way a metric regresses.
type Worse int

// Directions.
const (
	HigherIsWorse Worse = iota
	LowerIsWorse
)

// Metric is a summary value a baseline compares, with its documented
// default tolerance.
type Metric struct {
	Name  string
	Unit  string // "ms", "s", "ratio"
	Worse Worse
	// Default tolerance: a change regresses only when it is worse by more
	// than both Relative of the baseline value and Absolute (so the noise
	// of tiny values never fails a build).
	Default Tolerance
}

// Metrics lists what a baseline compares, in report order. The names are
// the summary's metric names (docs/scenarios.md); the defaults are
// documented in docs/reports.md.
func Metrics() []Metric {
	return []Metric{
		{"adoption.time_to_50_s", "s", HigherIsWorse, Tolerance{Relative: 0.10, Absolute: 900}},
		{"adoption.time_to_90_s", "s", HigherIsWorse, Tolerance{Relative: 0.10, Absolute: 900}},
		{"adoption.time_to_95_s", "s", HigherIsWorse, Tolerance{Relative: 0.10, Absolute: 900}},
		{"adoption.final_share", "ratio", LowerIsWorse, Tolerance{Absolute: 0.03}},
		{"success_rate.overall", "ratio", LowerIsWorse, Tolerance{Absolute: 0.02}},
		{"cdn.ms_per_5mb.p50", "ms", HigherIsWorse, Tolerance{Relative: 0.20, Absolute: 10}},
		{"cdn.ms_per_5mb.p95", "ms", HigherIsWorse, Tolerance{Relative: 0.30, Absolute: 20}},
		// The latencies' absolute parts are calibrated on ci-smoke
		// (docs/reports.md, "Calibration"): above the largest change
		// between two healthy runs on a shared 2-core machine (mean
		// 6.8 ms, p95 27 ms, p99 68 ms), below the smallest change a
		// server 20 ms slower makes to the means (+14 ms).
		{"api.updates.mean_ms", "ms", HigherIsWorse, Tolerance{Relative: 0.20, Absolute: 10}},
		{"api.updates.p95_ms", "ms", HigherIsWorse, Tolerance{Relative: 0.25, Absolute: 40}},
		{"api.updates.p99_ms", "ms", HigherIsWorse, Tolerance{Relative: 0.30, Absolute: 100}},
		{"api.stats.mean_ms", "ms", HigherIsWorse, Tolerance{Relative: 0.20, Absolute: 10}},
		{"api.channel_self.mean_ms", "ms", HigherIsWorse, Tolerance{Relative: 0.20, Absolute: 10}},
		{"install_time.p50_s", "s", HigherIsWorse, Tolerance{Relative: 0.15, Absolute: 600}},
		{"rollback.time_to_95_s", "s", HigherIsWorse, Tolerance{Relative: 0.15, Absolute: 900}},
		{"engagement.error_rate", "ratio", HigherIsWorse, Tolerance{Absolute: 0.01}},
	}
}

// LookupMetric finds a metric by name.
func LookupMetric(name string) (Metric, bool) {
	for _, m := range Metrics() {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Value reads a metric of Metrics() from a summary; false when the run
// has no value for it (e.g. a share never reached, no download, no
// successful reply). The metrics are the targets' (verdict.Value).
func Value(s *results.Summary, metric string) (float64, bool) {
	if metric == "adoption.final_share" && s.Adoption.Bundle == "" {
		return 0, false // the run judged no bundle
	}
	return verdict.Value(s, metric, "")
}
