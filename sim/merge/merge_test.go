package merge

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, 3_600_000_000, 3) }

func encode(t *testing.T, h *hdrhistogram.Histogram) results.Histogram {
	t.Helper()
	x, err := results.Encode(h, "us")
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// fleet is a synthetic fleet observed at a few samples: per sample, each
// device is active or not and runs a bundle, and sends requests with
// latencies. Its series is built as the engine builds one (sim/sample.go).
type fleet struct {
	cohort  []string    // per device
	active  [][]bool    // [sample][device]
	bundle  [][]string  // [sample][device]
	latency [][][]int64 // [sample][device] µs
	bundles []string
}

func newFleet(devices, samples int, rng *rand.Rand) *fleet {
	f := &fleet{bundles: []string{"builtin", "1.0.1", "1.0.2"}}
	for d := range devices {
		f.cohort = append(f.cohort, []string{"beta", "production", "enterprise"}[d%3])
	}
	for range samples {
		act, bun, lat := make([]bool, devices), make([]string, devices), make([][]int64, devices)
		for d := range devices {
			act[d] = rng.Float64() < 0.8
			bun[d] = f.bundles[rng.IntN(3)]
			for range rng.IntN(4) {
				lat[d] = append(lat[d], int64(rng.ExpFloat64()*40_000)+200)
			}
		}
		f.active, f.bundle, f.latency = append(f.active, act), append(f.bundle, bun), append(f.latency, lat)
	}
	return f
}

// run is the run of the devices in (a shard, or every device).
func (f *fleet) run(t *testing.T, in func(d int) bool, shard string) *results.Run {
	t.Helper()
	n := len(f.active)
	s := results.Series{SampleEveryS: 60, ActiveByCohort: map[string][]int{}, Adoption: map[string]map[string][]float64{},
		API: map[string]results.IntervalLatency{}, Active: make([]int, n), Requests: make([]int64, n),
		RequestsPerS: make([]float64, n), Failures: make([]int64, n), Downloads: make([]int64, n),
		RollbackExposure: make([]int, n), ScheduleLagP99Ms: make([]float64, n)}
	hs := map[string]results.Histogram{}
	whole := newHist()
	for k := range n {
		s.T = append(s.T, float64(k*60))
		active, counts, all := map[string]int{}, map[string]map[string]int{}, map[string]int{}
		iv := newHist()
		for d := range f.cohort {
			if !in(d) {
				continue
			}
			for _, v := range f.latency[k][d] {
				_ = iv.RecordValue(v)
				_ = whole.RecordValue(v)
				s.Requests[k]++
			}
			if !f.active[k][d] {
				continue
			}
			c := f.cohort[d]
			active[c]++
			s.Active[k]++
			if counts[c] == nil {
				counts[c] = map[string]int{}
			}
			counts[c][f.bundle[k][d]]++
			all[f.bundle[k][d]]++
		}
		for _, c := range []string{"beta", "production", "enterprise"} {
			s.ActiveByCohort[c] = append(s.ActiveByCohort[c], active[c])
			if s.Adoption[c] == nil {
				s.Adoption[c] = map[string][]float64{}
			}
			for _, b := range f.bundles {
				share := 0.0
				if active[c] > 0 {
					share = float64(counts[c][b]) / float64(active[c])
				}
				s.Adoption[c][b] = append(s.Adoption[c][b], share)
			}
		}
		if s.Adoption["all"] == nil {
			s.Adoption["all"] = map[string][]float64{}
		}
		for _, b := range f.bundles {
			share := 0.0
			if s.Active[k] > 0 {
				share = float64(all[b]) / float64(s.Active[k])
			}
			s.Adoption["all"][b] = append(s.Adoption["all"][b], share)
		}
		for _, ep := range metrics.EndpointNames() {
			l := s.API[ep]
			var p50, p95, p99 float64
			var cnt int64
			if ep == "updates" {
				cnt = iv.TotalCount()
				if cnt > 0 {
					p50, p95, p99 = float64(iv.ValueAtQuantile(50))/1e3, float64(iv.ValueAtQuantile(95))/1e3, float64(iv.ValueAtQuantile(99))/1e3
					hs[metrics.IntervalName("api.updates.latency", k)] = encode(t, iv)
				}
			}
			l.Count, l.P50, l.P95, l.P99 = append(l.Count, cnt), append(l.P50, p50), append(l.P95, p95), append(l.P99, p99)
			s.API[ep] = l
		}
	}
	hs["api.updates.latency"] = encode(t, whole)
	var devices int
	for d := range f.cohort {
		if in(d) {
			devices++
		}
	}
	sum := results.Summary{Scenario: "synthetic", Seed: 7, Speed: 60, Shard: shard, Devices: devices,
		Cohorts: []results.CohortInfo{{Name: "beta"}, {Name: "production"}, {Name: "enterprise"}}}
	return &results.Run{Summary: sum, Series: s, Histograms: results.Histograms{Histograms: hs}}
}

// TestMergeExact: the merged histograms are the histogram of every
// sample, and the merged series is the series of the union, sample for
// sample (shares, counts and per-interval percentiles).
func TestMergeExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := newFleet(601, 12, rng)
	whole := f.run(t, func(int) bool { return true }, "")
	for _, n := range []int{1, 2, 4, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var shards []Shard
			for k := range n {
				shard := ""
				if n > 1 {
					shard = fmt.Sprintf("%d/%d", k, n)
				}
				shards = append(shards, Shard{Index: k, Run: f.run(t, func(d int) bool { return d%n == k }, shard)})
			}
			got, err := Merge(Config{Scenario: &scenarios.Scenario{Name: "synthetic"}, Count: n, Shards: shards})
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range whole.Histograms.Histograms {
				g, ok := got.Histograms.Histograms[name]
				if !ok {
					t.Fatalf("histogram %s: missing from the merge", name)
				}
				gh, _ := g.Decode()
				wh, _ := want.Decode()
				if !gh.Equals(wh) {
					t.Errorf("histogram %s: merged %d values p99 %d, all samples %d values p99 %d", name,
						gh.TotalCount(), gh.ValueAtQuantile(99), wh.TotalCount(), wh.ValueAtQuantile(99))
				}
			}
			g, w := got.Series, whole.Series
			if !slices.Equal(g.T, w.T) || !slices.Equal(g.Active, w.Active) || !slices.Equal(g.Requests, w.Requests) {
				t.Fatalf("T, active or requests differ:\n got %v %v %v\nwant %v %v %v", g.T, g.Active, g.Requests, w.T, w.Active, w.Requests)
			}
			for c, col := range w.ActiveByCohort {
				if !slices.Equal(g.ActiveByCohort[c], col) {
					t.Errorf("active %s: got %v, want %v", c, g.ActiveByCohort[c], col)
				}
			}
			for c, m := range w.Adoption {
				for b, col := range m {
					if !slices.Equal(g.Adoption[c][b], col) {
						t.Errorf("adoption %s/%s: got %v, want %v", c, b, g.Adoption[c][b], col)
					}
				}
			}
			for ep, l := range w.API {
				gl := g.API[ep]
				if !slices.Equal(gl.Count, l.Count) || !slices.Equal(gl.P50, l.P50) || !slices.Equal(gl.P95, l.P95) || !slices.Equal(gl.P99, l.P99) {
					t.Errorf("%s intervals:\n got %v %v\nwant %v %v", ep, gl.Count, gl.P99, l.Count, l.P99)
				}
			}
			if got.Summary.Devices != whole.Summary.Devices {
				t.Errorf("devices: merged %d, fleet %d", got.Summary.Devices, whole.Summary.Devices)
			}
			wantP99 := whole.Histograms.Histograms["api.updates.latency"]
			wh, _ := wantP99.Decode()
			if p := got.Summary.API["updates"].P99Ms; p == nil || *p != float64(wh.ValueAtQuantile(99))*1e-3 {
				t.Errorf("summary p99: %v, want %v", p, float64(wh.ValueAtQuantile(99))/1e3)
			}
		})
	}
}

// TestMergeShardFaults: a missing or failed shard is named and makes the
// verdict INCONCLUSIVE; the others' measurements are kept.
func TestMergeShardFaults(t *testing.T) {
	f := newFleet(90, 4, rand.New(rand.NewPCG(3, 4)))
	sc := &scenarios.Scenario{Name: "synthetic"}
	part := func(k int) *results.Run {
		return f.run(t, func(d int) bool { return d%3 == k }, fmt.Sprintf("%d/3", k))
	}
	for _, tc := range []struct {
		name   string
		shards []Shard
		status string
	}{
		{"missing", []Shard{{Index: 0, Run: part(0)}, {Index: 2, Run: part(2)}}, results.ShardMissing},
		{"failed", []Shard{{Index: 0, Run: part(0)}, {Index: 1, Failed: "exit status 2"}, {Index: 2, Run: part(2)}}, results.ShardFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Merge(Config{Scenario: sc, Count: 3, Shards: tc.shards})
			if err != nil {
				t.Fatal(err)
			}
			s := &got.Summary
			if s.Verdict != results.VerdictInconclusive {
				t.Errorf("verdict %s (%v), want INCONCLUSIVE", s.Verdict, s.VerdictReasons)
			}
			if len(s.Shards) != 3 || s.Shards[1].Status != tc.status || s.Shards[0].Status != results.ShardOK {
				t.Errorf("shards %+v: want shard 1 %s", s.Shards, tc.status)
			}
			found := false
			for _, r := range s.VerdictReasons {
				found = found || len(r) > 7 && r[:7] == "shard 1"
			}
			if !found {
				t.Errorf("no reason names shard 1: %q", s.VerdictReasons)
			}
			if want := part(0).Summary.Devices + part(2).Summary.Devices; s.Devices != want {
				t.Errorf("devices %d, want the two shards' %d", s.Devices, want)
			}
		})
	}
	if _, err := Merge(Config{Scenario: sc, Count: 3, Shards: []Shard{{Index: 1, Failed: "killed"}}}); err == nil {
		t.Error("no shard with results: no error")
	}
	if _, err := Merge(Config{Scenario: sc, Count: 3, Shards: []Shard{{Index: 0, Run: part(1)}}}); err == nil {
		t.Error("shard 1's run given as shard 0: no error")
	}
}
