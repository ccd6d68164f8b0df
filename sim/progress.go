package sim

import (
	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
)

// progress is the live snapshot.
func (e *engine) progress() results.Progress {
	p := results.Progress{
		VirtualS: float64(e.virtualMs()) / 1000, DurationS: e.set.duration.Seconds(),
		WallS: e.now().Sub(e.clk.WallStart()).Seconds(), Devices: e.pop.N,
		Bundle: e.timeline.judged, Requests: e.rec.Requests(), Failures: e.rec.Failures(),
		InFlight: e.pool.inFlight, LagP99Ms: float64(e.rec.LagP99().Microseconds()) / 1000,
		LateEvents: e.rec.Late(), OverdueEvents: int64(e.q.Due(e.virtualMs())),
	}
	if p.Requests > 0 {
		p.CPUUsPerRequest = cpuSeconds() * 1e6 / float64(p.Requests)
	}
	p.Active, p.Adoption = e.series.lastActive, e.series.lastShare
	if e.loss.Lost() {
		out := e.loss.Outages()
		at := out[len(out)-1].LostAtS
		p.TargetLostAtS = &at
	}
	p.RequestsPerS = e.series.lastRate
	if e.timeline.judged != "" {
		p.AdoptionBySegment = make(map[string]float64, len(e.cohorts))
		for c, name := range e.cohorts {
			p.AdoptionBySegment[name] = e.series.lastCohort[c]
		}
	}
	names := metrics.EndpointNames()
	for ep, q := range e.rec.TakeProgress() {
		if q.Count == 0 {
			continue
		}
		if p.LatencyMs == nil {
			p.LatencyMs = map[string]results.LatencyQuantiles{}
		}
		p.LatencyMs[names[ep]] = results.LatencyQuantiles{P50: q.P50, P95: q.P95, P99: q.P99}
	}
	if e.cfg.ProgressTotals {
		p.Totals = e.totals()
	}
	return p
}
