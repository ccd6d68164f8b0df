package verdict

import (
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/results"
)

// Watch stops a run early (k6's abortOnFail): a target with abort_on_fail
// that is crossed, and still crossed its delay later, ends the run.
// Not safe for concurrent use.
type Watch struct {
	specs []scenarios.TargetSpec
	since []float64 // when each was first crossed, seconds; -1: not crossed
}

// NewWatch returns a watch over the specs that abort, nil when none does.
func NewWatch(specs []scenarios.TargetSpec) *Watch {
	w := &Watch{}
	for _, sp := range specs {
		if sp.Abort {
			w.specs = append(w.specs, sp)
			w.since = append(w.since, -1)
		}
	}
	if len(w.specs) == 0 {
		return nil
	}
	return w
}

// Check judges the live summary at nowS of the run's clock (live's
// VirtualSeconds is set to it). It returns the name of the target that
// stops the run, or "" to go on. A target that passes again, or can no
// longer be judged, starts its delay afresh when next crossed.
func (w *Watch) Check(live *results.Summary, nowS float64) string {
	if w == nil {
		return ""
	}
	live.VirtualSeconds = nowS
	for i, sp := range w.specs {
		if judge(sp, live).Status != results.StatusFail {
			w.since[i] = -1
			continue
		}
		if w.since[i] < 0 {
			w.since[i] = nowS
		}
		if nowS-w.since[i] >= sp.AbortDelay.D().Seconds() {
			return sp.Name
		}
	}
	return ""
}
