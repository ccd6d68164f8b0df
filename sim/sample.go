package sim

import (
	"time"

	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
)

// seriesBuilder accumulates series.json.
type seriesBuilder struct {
	s        results.Series
	lastWall time.Time
	lastT    float64

	lastActive int
	lastShare  float64
	lastRate   float64
	// lastCohort is the judged bundle's share per cohort at the last
	// sample, reused between samples.
	lastCohort []float64
	// lastActiveBy and lastCounts are the last sample's active devices
	// per cohort, and per cohort and bundle (cohort*bundles+bundle).
	lastActiveBy, lastCounts []int
}

func (b *seriesBuilder) init(every time.Duration, cohorts []string) {
	b.s = results.Series{SampleEveryS: every.Seconds(), ActiveByCohort: map[string][]int{},
		Adoption: map[string]map[string][]float64{}, API: map[string]results.IntervalLatency{}}
	b.lastT = -1
	b.lastCohort = make([]float64, len(cohorts))
}

// appendPadded appends v to m[key], padding a new key with zeros so that
// every column stays aligned with T.
func appendPadded(m map[string][]float64, key string, n int, v float64) {
	col := m[key]
	for len(col) < n {
		col = append(col, 0)
	}
	m[key] = append(col, v)
}

// sample scans the devices at virtual time at: who is active (a session
// within 24 h) and which bundle each runs; and closes the metrics
// interval.
func (e *engine) sample(at int64) {
	b := &e.series
	tS := float64(at) / 1000
	if tS <= b.lastT {
		return
	}
	b.lastT = tS
	nC := len(e.cohorts)
	nB := len(e.bundles.names)
	active := make([]int, nC)
	counts := make([]int, nC*nB)
	for i := range e.devs {
		s := &e.devs[i]
		if !s.Active(at, activeWindow) {
			continue
		}
		c := int(e.attrs[i].Cohort)
		active[c]++
		if int(s.Running) < nB {
			counts[c*nB+int(s.Running)]++
		}
	}
	n := len(b.s.T)
	b.s.T = append(b.s.T, tS)
	total := 0
	all := make([]int, nB)
	for c, name := range e.cohorts {
		total += active[c]
		col := b.s.ActiveByCohort[name]
		for len(col) < n {
			col = append(col, 0)
		}
		b.s.ActiveByCohort[name] = append(col, active[c])
		m := b.s.Adoption[name]
		if m == nil {
			m = map[string][]float64{}
			b.s.Adoption[name] = m
		}
		b.lastCohort[c] = 0
		for k := range nB {
			all[k] += counts[c*nB+k]
			share := 0.0
			if active[c] > 0 {
				share = float64(counts[c*nB+k]) / float64(active[c])
			}
			appendPadded(m, e.bundles.names[k], n, share)
			if e.judged(e.bundles.names[k]) {
				b.lastCohort[c] += share
			}
		}
	}
	b.s.Active = append(b.s.Active, total)
	m := b.s.Adoption["all"]
	if m == nil {
		m = map[string][]float64{}
		b.s.Adoption["all"] = m
	}
	b.lastShare = 0
	for k := range nB {
		share := 0.0
		if total > 0 {
			share = float64(all[k]) / float64(total)
		}
		appendPadded(m, e.bundles.names[k], n, share)
		if e.judged(e.bundles.names[k]) {
			b.lastShare += share
		}
	}
	b.lastActive = total
	b.lastActiveBy, b.lastCounts = active, counts

	iv := e.rec.TakeInterval()
	for ep, name := range metrics.EndpointNames() {
		l := b.s.API[name]
		l.Count = append(l.Count, iv.API[ep].Count)
		l.P50 = append(l.P50, iv.API[ep].P50)
		l.P95 = append(l.P95, iv.API[ep].P95)
		l.P99 = append(l.P99, iv.API[ep].P99)
		b.s.API[name] = l
	}
	wall := e.now()
	rate := 0.0
	if !b.lastWall.IsZero() {
		if d := wall.Sub(b.lastWall).Seconds(); d > 0 {
			rate = float64(iv.Requests) / d
		}
	}
	b.lastWall = wall
	b.lastRate = rate
	b.s.Requests = append(b.s.Requests, iv.Requests)
	b.s.RequestsPerS = append(b.s.RequestsPerS, rate)
	b.s.Failures = append(b.s.Failures, iv.Failures)
	b.s.Downloads = append(b.s.Downloads, iv.Downloads)
	b.s.ScheduleLagP99Ms = append(b.s.ScheduleLagP99Ms, iv.LagP99Ms)
	exp := 0
	if e.timeline.rb.happened {
		exp = int(e.runningOn(e.timeline.rb.bundle))
	}
	b.s.RollbackExposure = append(b.s.RollbackExposure, exp)
	e.pollGuard()
}

// timeTo is the first virtual time (s) from fromS on when share reaches x,
// interpolated between samples, as a duration from fromS; nil if never.
func timeTo(t, share []float64, x, fromS float64) *float64 {
	for k := range t {
		if t[k] < fromS || k >= len(share) || share[k] < x {
			continue
		}
		at := t[k]
		if k > 0 && t[k-1] >= fromS && share[k] > share[k-1] {
			at = t[k-1] + (x-share[k-1])/(share[k]-share[k-1])*(t[k]-t[k-1])
		}
		v := max(at-fromS, 0)
		return &v
	}
	return nil
}
