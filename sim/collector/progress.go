package collector

import (
	"context"
	"time"

	"github.com/otasim/otasim/sim/results"
)

// progressLoop hands the fleet's progress to Config.Progress.
func (c *Collector) progressLoop(ctx context.Context, start Start) {
	if c.cfg.Progress == nil {
		return
	}
	t := time.NewTicker(c.cfg.ProgressEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.cfg.Progress(c.Fleet(start))
		}
	}
}

// Fleet is the fleet's live progress: the shards' latest snapshots added.
// Counters, gauges and the totals are sums; the adoption shares come from
// the summed device counts; the lag and the latency percentiles of the
// interval are the largest shard's (an upper bound: a live view, the
// merged run has the exact ones).
func (c *Collector) Fleet(start Start) results.Progress {
	now := c.cfg.Now()
	p := results.Progress{DurationS: c.cfg.Want.DurationS, WallS: max(now.Sub(start.At).Seconds(), 0)}
	p.VirtualS = min(p.WallS*start.Speed, p.DurationS)
	c.mu.Lock()
	defer c.mu.Unlock()
	var judged float64
	var totals *results.Totals
	for _, x := range c.last {
		p.Devices += x.Devices
		p.Active += x.Active
		p.Bundle = x.Bundle
		judged += x.Adoption * float64(x.Active)
		p.RequestsPerS += x.RequestsPerS
		p.Requests += x.Requests
		p.Failures += x.Failures
		p.InFlight += x.InFlight
		p.LagP99Ms = max(p.LagP99Ms, x.LagP99Ms)
		if x.TargetLostAtS != nil && (p.TargetLostAtS == nil || *x.TargetLostAtS < *p.TargetLostAtS) {
			v := *x.TargetLostAtS
			p.TargetLostAtS = &v
		}
		for ep, q := range x.LatencyMs {
			if p.LatencyMs == nil {
				p.LatencyMs = map[string]results.LatencyQuantiles{}
			}
			m := p.LatencyMs[ep]
			m.P50, m.P95, m.P99 = max(m.P50, q.P50), max(m.P95, q.P95), max(m.P99, q.P99)
			p.LatencyMs[ep] = m
		}
		if x.Totals != nil {
			if totals == nil {
				totals = &results.Totals{}
			}
			totals.Add(x.Totals)
		}
	}
	if p.Active > 0 {
		p.Adoption = judged / float64(p.Active)
	}
	if totals != nil && p.Bundle != "" {
		p.AdoptionBySegment = map[string]float64{}
		for cohort, n := range totals.Active {
			if n > 0 {
				p.AdoptionBySegment[cohort] = float64(totals.Running[cohort][p.Bundle]) / float64(n)
			}
		}
	}
	p.Totals = totals
	return p
}
