package sim

import (
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/verdict"
)

// totals is the run's cumulative state for Progress.Totals: the
// recorder's counters and histograms, adoption at the last sample, the
// backlog, and the targets judged on the run so far. It runs once a
// progress snapshot (about a second), never per request.
func (e *engine) totals() *results.Totals {
	t := &results.Totals{Backlog: int64(e.pool.waiting())}
	e.rec.Totals(t, e.cohorts, e.pop.Profiles)
	t.Active = make(map[string]int64, len(e.cohorts))
	t.Running = make(map[string]map[string]int64, len(e.cohorts))
	b := &e.series
	nB := 0
	if len(e.cohorts) > 0 {
		nB = len(b.last.running) / len(e.cohorts)
	}
	for c, name := range e.cohorts {
		if c < len(b.last.active) {
			t.Active[name] = int64(b.last.active[c])
		}
		m := make(map[string]int64, nB)
		for k := range nB {
			m[e.bundles.name(uint8(k))] = int64(b.last.running[c*nB+k])
		}
		t.Running[name] = m
	}
	t.Targets = verdict.Targets(e.sc.TargetSpecs(), e.liveSummary())
	return t
}

// finalProgress is the last snapshot of a run, taken once its summary is
// made: its totals end where the summary does.
func (e *engine) finalProgress(sum *results.Summary) results.Progress {
	p := e.progress()
	p.VirtualS = sum.VirtualSeconds
	if p.Totals != nil {
		p.Totals.DroppedEvents = sum.Harness.DroppedEvents
		p.Totals.Backlog = 0
		p.Totals.Targets = sum.Targets
		p.Totals.Verdict = sum.Verdict
	}
	return p
}
