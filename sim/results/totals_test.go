package results

import (
	"reflect"
	"slices"
	"testing"
)

func TestDurationBounds(t *testing.T) {
	b := DurationBounds()
	if !slices.IsSorted(b) || b[0] > 0.005 || b[len(b)-1] < 30 {
		t.Errorf("bounds %v: want sorted, a few ms to tens of seconds", b)
	}
	for _, target := range []float64{0.114, 0.434} { // Capgo's CDN and API targets
		if !slices.Contains(b, target) {
			t.Errorf("bounds lack the target %v s", target)
		}
	}
}

// Two shards' totals add up field by field; the targets stay the merged
// run's own.
func TestTotalsAdd(t *testing.T) {
	shard := func(n int64) *Totals {
		return &Totals{
			Requests: map[string]OutcomeCounts{"updates": {OutcomeSuccess: n, OutcomeTimeout: 1}},
			Causes:   map[string]map[string]int64{"updates": {"timeout": 1}},
			Codes:    map[string]map[string]int64{"updates": {"200": n}},
			Latency:  map[string]Buckets{"updates": {Counts: []int64{n, 1}, Sum: float64(n)}},
			Service:  map[string]Buckets{"updates": {Counts: []int64{n}, Sum: 1}},
			CDN: map[string]CDNTotals{"wifi": {Bytes: 10 * n, Download: Buckets{Counts: []int64{n}, Sum: 1},
				Per5MB: Buckets{Counts: []int64{0, n}, Sum: 2}}},
			ScheduleLag: Buckets{Counts: []int64{n}, Sum: 0.5},
			Events:      n, LateEvents: 1, DroppedEvents: 2, Backlog: 3,
			Active:  map[string]int64{"beta": n},
			Running: map[string]map[string]int64{"beta": {"1.0.1": n - 1}},
			Updates: map[string]map[string]UpdateTotals{"beta": {"1.0.1": {Attempts: n, Installs: n - 1,
				Failures: map[string]int64{"download_fail": 1}, Rollbacks: 1}}},
			Targets: []TargetResult{{Name: "api"}},
		}
	}
	var got Totals
	got.Add(shard(5))
	got.Add(shard(7))
	want := Totals{
		Requests: map[string]OutcomeCounts{"updates": {OutcomeSuccess: 12, OutcomeTimeout: 2}},
		Causes:   map[string]map[string]int64{"updates": {"timeout": 2}},
		Codes:    map[string]map[string]int64{"updates": {"200": 12}},
		Latency:  map[string]Buckets{"updates": {Counts: []int64{12, 2}, Sum: 12}},
		Service:  map[string]Buckets{"updates": {Counts: []int64{12}, Sum: 2}},
		CDN: map[string]CDNTotals{"wifi": {Bytes: 120, Download: Buckets{Counts: []int64{12}, Sum: 2},
			Per5MB: Buckets{Counts: []int64{0, 12}, Sum: 4}}},
		ScheduleLag: Buckets{Counts: []int64{12}, Sum: 1},
		Events:      12, LateEvents: 2, DroppedEvents: 4, Backlog: 6,
		Active:  map[string]int64{"beta": 12},
		Running: map[string]map[string]int64{"beta": {"1.0.1": 10}},
		Updates: map[string]map[string]UpdateTotals{"beta": {"1.0.1": {Attempts: 12, Installs: 10,
			Failures: map[string]int64{"download_fail": 2}, Rollbacks: 2}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged\n%+v\nwant\n%+v", got, want)
	}
	if n := got.Latency["updates"].Count(); n != 14 {
		t.Errorf("count %d, want 14", n)
	}
	// The shards' own totals are left as they were.
	s := shard(5)
	var m Totals
	m.Add(s)
	m.Add(shard(1))
	if s.Latency["updates"].Counts[0] != 5 || s.Updates["beta"]["1.0.1"].Failures["download_fail"] != 1 {
		t.Errorf("a shard's totals changed: %+v", s)
	}
}
