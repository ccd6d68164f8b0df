package merge

import (
	"fmt"
	"math"

	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
)

// mergeSeries merges series.json: the samples are at the same virtual
// times in every shard (one clock, one sampling period), so sample k of
// the fleet is the sum of the shards' samples k. A share is not summed:
// each shard's share times its active devices is its device count (an
// integer, recovered exactly), the counts are summed and divided again.
func mergeSeries(runs []*results.Run, hs hists) (results.Series, error) {
	long := &runs[0].Series
	for _, r := range runs {
		if len(r.Series.T) > len(long.T) {
			long = &r.Series
		}
	}
	for _, r := range runs {
		for k, t := range r.Series.T {
			if t != long.T[k] {
				return results.Series{}, fmt.Errorf("merge: shard %s sampled at %g s where another did at %g s", r.Summary.Shard, t, long.T[k])
			}
		}
	}
	n := len(long.T)
	out := results.Series{Schema: results.SchemaSeries, SampleEveryS: long.SampleEveryS, T: append([]float64(nil), long.T...),
		Active: make([]int, n), ActiveByCohort: map[string][]int{}, Adoption: map[string]map[string][]float64{},
		API: map[string]results.IntervalLatency{}, Requests: make([]int64, n), RequestsPerS: make([]float64, n),
		Failures: make([]int64, n), Downloads: make([]int64, n), RollbackExposure: make([]int, n), ScheduleLagP99Ms: make([]float64, n)}
	// counts[cohort][bundle][k]: devices active and running the bundle.
	counts := map[string]map[string][]int{}
	for _, r := range runs {
		s := &r.Series
		addInts(out.Active, s.Active)
		addInts64(out.Requests, s.Requests)
		addInts64(out.Failures, s.Failures)
		addInts64(out.Downloads, s.Downloads)
		addInts(out.RollbackExposure, s.RollbackExposure)
		for k, v := range s.RequestsPerS {
			out.RequestsPerS[k] += v // the shards send at the same time
		}
		for c, col := range s.ActiveByCohort {
			if out.ActiveByCohort[c] == nil {
				out.ActiveByCohort[c] = make([]int, n)
			}
			addInts(out.ActiveByCohort[c], col)
			for b, shares := range s.Adoption[c] {
				if counts[c] == nil {
					counts[c] = map[string][]int{}
				}
				if counts[c][b] == nil {
					counts[c][b] = make([]int, n)
				}
				for k := range min(len(shares), len(col)) {
					counts[c][b][k] += int(math.Round(shares[k] * float64(col[k])))
				}
			}
		}
	}
	all := map[string][]int{}
	for c, byBundle := range counts {
		out.Adoption[c] = map[string][]float64{}
		for b, col := range byBundle {
			out.Adoption[c][b] = shares(col, out.ActiveByCohort[c])
			if all[b] == nil {
				all[b] = make([]int, n)
			}
			addInts(all[b], col)
		}
	}
	out.Adoption["all"] = map[string][]float64{}
	for b, col := range all {
		out.Adoption["all"][b] = shares(col, out.Active)
	}
	for _, ep := range metrics.EndpointNames() {
		l := results.IntervalLatency{Count: make([]int64, n), P50: make([]float64, n), P95: make([]float64, n), P99: make([]float64, n)}
		for _, r := range runs {
			addInts64(l.Count, r.Series.API[ep].Count)
		}
		for k := range n {
			h := hs[metrics.IntervalName("api."+ep+".latency", k)]
			if h == nil && l.Count[k] == 0 {
				continue
			}
			if h == nil || h.TotalCount() != l.Count[k] {
				var held int64
				if h != nil {
					held = h.TotalCount()
				}
				return out, fmt.Errorf("merge: %s interval %d: the interval histograms hold %d values, the series counts %d (shards of an otasim that kept no interval histograms?)", ep, k, held, l.Count[k])
			}
			l.P50[k], l.P95[k], l.P99[k] = float64(h.ValueAtQuantile(50))/1e3, float64(h.ValueAtQuantile(95))/1e3, float64(h.ValueAtQuantile(99))/1e3
		}
		out.API[ep] = l
	}
	for k := range n {
		if h := hs[metrics.IntervalName("schedule_lag", k)]; h != nil {
			out.ScheduleLagP99Ms[k] = float64(h.ValueAtQuantile(99)) / 1e3
		}
	}
	return out, nil
}

func shares(counts, active []int) []float64 {
	out := make([]float64, len(counts))
	for k := range counts {
		if k < len(active) && active[k] > 0 {
			out[k] = float64(counts[k]) / float64(active[k])
		}
	}
	return out
}

func addInts(dst, src []int) {
	for k := range min(len(dst), len(src)) {
		dst[k] += src[k]
	}
}

func addInts64(dst, src []int64) {
	for k := range min(len(dst), len(src)) {
		dst[k] += src[k]
	}
}
