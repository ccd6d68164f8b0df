package metrics

import (
	"time"

	"github.com/otasim/otasim/sim/results"
)

// Target-lost detection: the target is lost when every request that ended
// over LossWindow failed, and at least LossMinFailures did (so one failed
// request in a quiet spell is not an outage). Slowness alone never loses
// the target: a stalled machine produces no failures, a hung server
// produces timeouts.
const (
	LossWindow      = 30 * time.Second
	LossMinFailures = 5
)

// LossWatch finds the spans in which the target answered nothing. Times
// are milliseconds of the run's clock (virtual in a simulation), and must
// not go backwards. Not safe for concurrent use.
type LossWatch struct {
	window   int64
	minFails int64

	streakFrom int64 // first failure since the last success; -1: none
	streakN    int64
	lost       bool
	outages    []results.Outage
}

// NewLossWatch returns a watch with the given window and minimum of
// failures.
func NewLossWatch(window time.Duration, minFailures int64) *LossWatch {
	return &LossWatch{window: window.Milliseconds(), minFails: minFailures, streakFrom: -1}
}

// Observe records a request that ended at atMs. It reports a change:
// lost when this failure completes an outage, recovered when this
// success ends one.
func (w *LossWatch) Observe(atMs int64, ok bool) (lost, recovered bool) {
	if ok {
		return w.ObserveBatch(atMs, 1, 0)
	}
	return w.ObserveBatch(atMs, 0, 1)
}

// ObserveBatch records requests that ended by atMs (successes and
// failures since the last call), as a load run's ticks count them: any
// success ends a streak.
func (w *LossWatch) ObserveBatch(atMs, succeeded, failed int64) (lost, recovered bool) {
	if succeeded > 0 {
		w.streakFrom, w.streakN = -1, 0
		if w.lost {
			w.lost = false
			at := float64(atMs) / 1000
			w.outages[len(w.outages)-1].RecoveredAtS = &at
			return false, true
		}
		return false, false
	}
	if failed <= 0 {
		return false, false
	}
	if w.streakFrom < 0 {
		w.streakFrom = atMs
	}
	w.streakN += failed
	if w.lost {
		w.outages[len(w.outages)-1].Failures = w.streakN
		return false, false
	}
	if atMs-w.streakFrom >= w.window && w.streakN >= w.minFails {
		w.lost = true
		w.outages = append(w.outages, results.Outage{LostAtS: float64(w.streakFrom) / 1000,
			DetectedAtS: float64(atMs) / 1000, Failures: w.streakN})
		return true, false
	}
	return false, false
}

// Lost reports whether the target is lost now.
func (w *LossWatch) Lost() bool { return w.lost }

// Outages returns every outage so far (never nil).
func (w *LossWatch) Outages() []results.Outage {
	out := make([]results.Outage, len(w.outages))
	copy(out, w.outages)
	return out
}
