package sim

import (
	"reflect"
	"testing"
	"time"

	"github.com/otasim/otasim/sim/metrics"
)

// The series builder turns censuses into aligned columns: active devices
// per cohort and in all, each bundle's share per cohort and of the fleet;
// a bundle first seen later is padded with zeros; the live snapshot
// follows the judged bundle.
func TestSeriesCensus(t *testing.T) {
	var b seriesBuilder
	cohorts := []string{"a", "b"}
	b.init(10*time.Minute, cohorts)
	is110 := func(name string) bool { return name == "1.1.0" }
	// Two bundles, then a third (a foreign version the server offered).
	b.addCensus(600, census{active: []int{4, 0}, running: []int{4, 0, 0, 0}}, cohorts, []string{"builtin", "1.1.0"}, is110)
	b.addCensus(1200, census{active: []int{4, 2}, running: []int{1, 3, 0, 2}}, cohorts, []string{"builtin", "1.1.0"}, is110)
	b.addCensus(1800, census{active: []int{2, 2}, running: []int{0, 1, 1, 0, 0, 2}}, cohorts, []string{"builtin", "1.1.0", "9.9.9"}, is110)
	if b.due(1800) || !b.due(1800.5) {
		t.Errorf("due(1800) %v, due(1800.5) %v after a sample at 1800", b.due(1800), b.due(1800.5))
	}
	s := &b.s
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("T", s.T, []float64{600, 1200, 1800})
	check("Active", s.Active, []int{4, 6, 4})
	check("ActiveByCohort[b]", s.ActiveByCohort["b"], []int{0, 2, 2})
	check("a/1.1.0", s.Adoption["a"]["1.1.0"], []float64{0, 0.75, 0.5})
	check("b/1.1.0", s.Adoption["b"]["1.1.0"], []float64{0, 1, 0})
	check("all/1.1.0", s.Adoption["all"]["1.1.0"], []float64{0, 5.0 / 6, 0.25})
	check("all/9.9.9", s.Adoption["all"]["9.9.9"], []float64{0, 0, 0.75})
	check("b/9.9.9", s.Adoption["b"]["9.9.9"], []float64{0, 0, 1})
	check("live", []any{b.lastActive, b.lastShare, b.lastCohort}, []any{4, 0.25, []float64{0.5, 0}})
}

// Each sample closes a metrics interval: its counts and latencies, and
// requests/s over the wall time since the previous sample.
func TestSeriesInterval(t *testing.T) {
	var b seriesBuilder
	b.init(time.Minute, nil)
	t0 := time.Unix(1000, 0)
	var iv metrics.Interval
	iv.Requests, iv.Failures, iv.LagP99Ms = 50, 2, 3.5
	iv.API[metrics.Stats].Count, iv.API[metrics.Stats].P99 = 30, 12
	b.addInterval(iv, t0, 0)
	iv.Requests = 200
	b.addInterval(iv, t0.Add(2*time.Second), 7)
	s := &b.s
	if !reflect.DeepEqual(s.RequestsPerS, []float64{0, 100}) || b.lastRate != 100 {
		t.Errorf("requests/s %v (live %v), want [0 100]", s.RequestsPerS, b.lastRate)
	}
	if !reflect.DeepEqual(s.RollbackExposure, []int{0, 7}) || !reflect.DeepEqual(s.Failures, []int64{2, 2}) {
		t.Errorf("exposure %v, failures %v", s.RollbackExposure, s.Failures)
	}
	if got := s.API["stats"]; !reflect.DeepEqual(got.Count, []int64{30, 30}) || !reflect.DeepEqual(got.P99, []float64{12, 12}) {
		t.Errorf("stats interval %+v", got)
	}
}
