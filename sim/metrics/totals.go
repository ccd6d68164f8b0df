package metrics

import (
	"maps"
	"slices"
	"strconv"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/results"
)

// buckets counts values (µs) by results.DurationBounds, beside the HDR
// histogram that holds them at full resolution: a few compares and an
// increment per value, so a snapshot is a copy of a short array rather
// than a walk over the histogram.
type buckets struct {
	bounds []int64 // µs, shared by every counter of a recorder
	counts []int64 // len(bounds)+1: the last slot is above every bound
	sumUs  int64
}

func newBuckets(bounds []int64) *buckets {
	return &buckets{bounds: bounds, counts: make([]int64, len(bounds)+1)}
}

func (b *buckets) observe(us int64) {
	i, _ := slices.BinarySearch(b.bounds, us) // first bound ≥ us: Prometheus' le
	b.counts[i]++
	b.sumUs += us
}

// snapshot copies the counts (the engine goes on adding to its own).
func (b *buckets) snapshot() results.Buckets {
	return results.Buckets{Counts: slices.Clone(b.counts), Sum: float64(b.sumUs) / 1e6}
}

// Download is the endpoint name of bundle downloads in Totals.
const Download = "download"

// Totals fills the recorder's part of a run's cumulative state: requests
// by endpoint and outcome, failures by cause, replies by status, the
// duration histograms, CDN bytes, events, and update outcomes by cohort
// and bundle.
func (r *Recorder) Totals(t *results.Totals, cohorts, profiles []string) {
	names := EndpointNames()
	t.Requests = map[string]results.OutcomeCounts{}
	t.Causes = map[string]map[string]int64{}
	t.Codes = map[string]map[string]int64{}
	t.Latency = map[string]results.Buckets{}
	t.Service = map[string]results.Buckets{}
	var dl results.OutcomeCounts
	dlCauses := map[string]int64{}
	for p := range r.cdn {
		dl.Add(r.cdn[p].outcomes)
		for c, n := range r.cdn[p].causes {
			dlCauses[c] += n
		}
	}
	t.Requests[Download], t.Causes[Download] = dl, dlCauses
	for e := range NumEndpoints {
		t.Requests[names[e]] = r.apiOut[e]
		t.Causes[names[e]] = maps.Clone(r.apiCauses[e])
		codes := make(map[string]int64, len(r.apiStatus[e]))
		for s, n := range r.apiStatus[e] {
			codes[strconv.Itoa(s)] = n
		}
		t.Codes[names[e]] = codes
		t.Latency[names[e]] = r.api[e].b.snapshot()
		t.Service[names[e]] = r.apiService[e].b.snapshot()
	}
	t.CDN = make(map[string]results.CDNTotals, len(r.cdn))
	for p := range r.cdn {
		name := "default"
		if p < len(profiles) {
			name = profiles[p]
		}
		t.CDN[name] = results.CDNTotals{Bytes: r.cdn[p].bytes, Download: r.cdn[p].perDL.b.snapshot(),
			Per5MB: r.cdn[p].ms5.b.snapshot()}
	}
	t.ScheduleLag = r.lag.b.snapshot()
	t.Events, t.LateEvents = r.events, r.late
	t.Updates = map[string]map[string]results.UpdateTotals{}
	for c, name := range cohorts {
		if c >= r.cohorts {
			break
		}
		m := map[string]results.UpdateTotals{}
		for b, o := range r.outcomes[c] {
			u := results.UpdateTotals{Attempts: o.Attempts, Installs: o.Successes, Failures: maps.Clone(o.Failures)}
			// The failures a device may report are there from the first
			// attempt on, zero or not: a series that appears only with its
			// first failure has no rate before it.
			for _, a := range []string{protocol.ActionDownloadFail, protocol.ActionChecksumFail, protocol.ActionUpdateFail} {
				u.Failures[a] += 0
			}
			m[b] = u
		}
		for b, e := range r.engagement[c] {
			if e.FailedLaunches > 0 {
				u := m[b]
				u.Rollbacks = e.FailedLaunches
				if u.Failures == nil {
					u.Failures = map[string]int64{}
				}
				m[b] = u
			}
		}
		t.Updates[name] = m
	}
}
