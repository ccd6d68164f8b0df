package sim

import (
	"time"

	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
)

// seriesBuilder accumulates series.json, one row per sample.
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
	// last is the last sample's census (the live totals' active and
	// running devices).
	last census
}

// census is who is active (a session within 24 h) and what each runs, by
// cohort: active[c], running[c*bundles+b].
type census struct {
	active  []int
	running []int
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

// due reports whether a sample at tS is new (samples only move forward).
func (b *seriesBuilder) due(tS float64) bool { return tS > b.lastT }

// addCensus appends the sample at tS: active devices per cohort and each
// bundle's share of them, per cohort and for the fleet ("all"); the live
// snapshot follows the bundles judged reports (the judged one and its
// twins).
func (b *seriesBuilder) addCensus(tS float64, c census, cohorts, bundles []string, judged func(string) bool) {
	b.lastT = tS
	nB := len(bundles)
	n := len(b.s.T)
	b.s.T = append(b.s.T, tS)
	total := 0
	all := make([]int, nB)
	for ci, name := range cohorts {
		total += c.active[ci]
		col := b.s.ActiveByCohort[name]
		for len(col) < n {
			col = append(col, 0)
		}
		b.s.ActiveByCohort[name] = append(col, c.active[ci])
		m := b.s.Adoption[name]
		if m == nil {
			m = map[string][]float64{}
			b.s.Adoption[name] = m
		}
		b.lastCohort[ci] = 0
		for k := range nB {
			all[k] += c.running[ci*nB+k]
			share := 0.0
			if c.active[ci] > 0 {
				share = float64(c.running[ci*nB+k]) / float64(c.active[ci])
			}
			appendPadded(m, bundles[k], n, share)
			if judged(bundles[k]) {
				b.lastCohort[ci] += share
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
		appendPadded(m, bundles[k], n, share)
		if judged(bundles[k]) {
			b.lastShare += share
		}
	}
	b.lastActive = total
	b.last = c
}

// addInterval appends the metrics of the interval the sample closes, at
// wall time wall, and the devices still exposed to a rolled-back bundle.
func (b *seriesBuilder) addInterval(iv metrics.Interval, wall time.Time, exposed int) {
	for ep, name := range metrics.EndpointNames() {
		l := b.s.API[name]
		l.Count = append(l.Count, iv.API[ep].Count)
		l.P50 = append(l.P50, iv.API[ep].P50)
		l.P95 = append(l.P95, iv.API[ep].P95)
		l.P99 = append(l.P99, iv.API[ep].P99)
		b.s.API[name] = l
	}
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
	b.s.RollbackExposure = append(b.s.RollbackExposure, exposed)
}

// sample takes the census of the fleet at virtual time at and closes the
// metrics interval.
func (e *engine) sample(at int64) {
	tS := float64(at) / 1000
	if !e.series.due(tS) {
		return
	}
	e.series.addCensus(tS, e.census(at), e.cohorts, e.bundles.names, e.judged)
	exposed := 0
	if e.timeline.rb.happened {
		exposed = int(e.runningOn(e.timeline.rb.bundle))
	}
	e.series.addInterval(e.rec.TakeInterval(), e.now(), exposed)
	e.pollGuard()
}

// census scans every device at virtual time at.
func (e *engine) census(at int64) census {
	nB := len(e.bundles.names)
	c := census{active: make([]int, len(e.cohorts)), running: make([]int, len(e.cohorts)*nB)}
	for i := range e.devs {
		s := &e.devs[i]
		if !s.Active(at, activeWindow) {
			continue
		}
		co := int(e.attrs[i].Cohort)
		c.active[co]++
		if int(s.Running) < nB {
			c.running[co*nB+int(s.Running)]++
		}
	}
	return c
}
