package load

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/otasim/otasim/sim/results"
)

// liveTally is what a worker has ended so far, kept so that a progress
// snapshot can read it while the worker runs: the requests by outcome,
// the successful replies' latency from the intended send time, and the
// schedule lag, counted by results.DurationBounds (the buckets the
// exported histograms share). Two binary searches over 18 bounds and five
// atomic adds a request, beside the HDR histograms that hold the
// latencies at full resolution for the summary.
type liveTally struct {
	outcomes [results.NumOutcomes]atomic.Int64
	latency  liveBuckets
	lag      liveBuckets // open models: the actual minus the intended send time
}

func newLiveTally(bounds []int64) *liveTally {
	t := &liveTally{}
	t.latency.init(bounds)
	t.lag.init(bounds)
	return t
}

// end counts one request; d is a successful reply's latency.
func (t *liveTally) end(o results.Outcome, d time.Duration) {
	t.outcomes[o].Add(1)
	if !o.Failed() {
		t.latency.observe(d)
	}
}

// addTo adds the tally to a snapshot's.
func (t *liveTally) addTo(p *Progress) {
	for o := range t.outcomes {
		p.Outcomes[o] += t.outcomes[o].Load()
	}
	t.latency.addTo(&p.Latency)
	t.lag.addTo(&p.Lag)
}

// liveBuckets counts durations by bounds, readable while they are added.
type liveBuckets struct {
	bounds []int64        // µs
	counts []atomic.Int64 // len(bounds)+1: the last slot is above every bound
	sumUs  atomic.Int64
}

func (b *liveBuckets) init(bounds []int64) {
	b.bounds, b.counts = bounds, make([]atomic.Int64, len(bounds)+1)
}

func (b *liveBuckets) observe(d time.Duration) {
	us := max(d.Microseconds(), 0)
	i, _ := slices.BinarySearch(b.bounds, us) // first bound ≥ us: Prometheus' le
	b.counts[i].Add(1)
	b.sumUs.Add(us)
}

func (b *liveBuckets) addTo(into *results.Buckets) {
	if len(into.Counts) < len(b.counts) {
		into.Counts = append(into.Counts, make([]int64, len(b.counts)-len(into.Counts))...)
	}
	for i := range b.counts {
		into.Counts[i] += b.counts[i].Load()
	}
	into.Sum += float64(b.sumUs.Load()) / 1e6
}
