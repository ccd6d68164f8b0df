package sim

import (
	"time"

	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/verdict"
)

// abortState paces the abort_on_fail checks: a live summary costs a few
// hundred microseconds, so it is built at most every abortEveryWall of
// real time and abortEveryVirtual of virtual time.
type abortState struct {
	watch         *verdict.Watch // nil: no target aborts
	lastWall      time.Time
	lastVirtualMs int64
}

const (
	abortEveryWall    = 20 * time.Millisecond
	abortEveryVirtual = time.Second
)

// checkAbort judges the targets with abort_on_fail on what the run has
// measured so far, and reports whether one stops the run.
func (e *engine) checkAbort() bool {
	a := &e.abort
	if a.watch == nil || e.abortedBy != "" {
		return e.abortedBy != ""
	}
	now, wall := e.virtualMs(), e.now()
	if wall.Sub(a.lastWall) < abortEveryWall || now-a.lastVirtualMs < abortEveryVirtual.Milliseconds() {
		return false
	}
	a.lastWall, a.lastVirtualMs = wall, now
	live := e.liveSummary()
	if name := a.watch.Check(live, float64(now)/1000); name != "" {
		e.abortedBy = name
		return true
	}
	return false
}

// liveSummary is the part of the summary the targets read, as measured so
// far.
func (e *engine) liveSummary() *results.Summary {
	s := &results.Summary{
		API: e.rec.APISummary(e.cohorts), CDN: e.rec.CDN(e.pop.Profiles),
		SuccessRate: e.rec.SuccessRate(e.cohorts), InstallTime: e.rec.InstallTime(e.cohorts),
		Engagement: e.rec.EngagementSummary(e.cohorts), Adoption: e.adoption(),
		SkippedActions: e.timeline.skipped,
	}
	s.Rollback = e.rollbackSummary(s.Engagement)
	e.rec.Harness(&s.Harness)
	return s
}
