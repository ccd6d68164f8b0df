package html

import (
	"fmt"

	"github.com/otasim/otasim/sim/results"
)

// endpointOrder puts /updates first, then the others by name.
func endpointOrder[V any](m map[string]V) []string {
	return withFirst(sortedKeys(m), "updates")
}

// latencyCharts: p50/p95/p99 of each endpoint per sampling interval.
func latencyCharts(run *results.Run, o Options) []*Section {
	ser := &run.Series
	var out []*Section
	for _, ep := range endpointOrder(ser.API) {
		l := ser.API[ep]
		id := chartID("latency", ep)
		c := newTimeLine(id, "ms", nil)
		for _, q := range []struct {
			name string
			v    []float64
		}{{"p50", l.P50}, {"p95", l.P95}, {"p99", l.P99}} {
			v := q.v
			c.AddSeries(q.name, timePoints(ser.T, len(v), func(k int) float64 {
				if k < len(l.Count) && l.Count[k] == 0 {
					return nanValueOf() // no request in the interval: a gap, not a zero
				}
				return v[k]
			}, o.maxPoints()), lineSeriesOpts())
		}
		note := fmt.Sprintf("/%s latency from the intended send time (coordinated-omission safe), per %s of virtual time.",
			ep, virtualSpan(ser.SampleEveryS))
		if e, ok := run.Summary.API[ep]; ok {
			note += fmt.Sprintf(" Whole run: %d requests, %d failed (not in the latencies), mean %s, p95 %s, p99 %s of the successful replies.",
				e.Count, e.Errors, optMs(e.MeanMs), optMs(e.P95Ms), optMs(e.P99Ms))
		}
		out = append(out, &Section{ID: id, Title: "/" + ep + " latency over time", Note: note, chart: c})
	}
	return out
}
