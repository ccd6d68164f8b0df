package release

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// WilsonZ is the z score of a 95% two-sided confidence level.
const WilsonZ = 1.96

// WilsonLower returns the lower bound of the Wilson score interval of a
// proportion of k successes in n trials at z; 0 when n is 0.
func WilsonLower(k, n int, z float64) float64 {
	if n <= 0 {
		return 0
	}
	if k > n {
		k = n
	}
	nf := float64(n)
	p := float64(k) / nf
	z2 := z * z
	centre := p + z2/(2*nf)
	margin := z * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	lower := (centre - margin) / (1 + z2/nf)
	return math.Max(0, lower)
}

// Validate reports every problem of a guard configuration at once.
func (g GuardConfig) Validate() error {
	var errs []error
	if g.WindowS <= 0 {
		errs = append(errs, fmt.Errorf("window_s must be positive, got %d", g.WindowS))
	}
	if !(g.Threshold > 0 && g.Threshold <= 1) {
		errs = append(errs, fmt.Errorf("threshold must be in (0, 1], got %v", g.Threshold))
	}
	if g.MinAttempts < 1 {
		errs = append(errs, fmt.Errorf("min_attempts must be at least 1, got %d", g.MinAttempts))
	}
	if g.CooldownS < 0 {
		errs = append(errs, fmt.Errorf("cooldown_s must not be negative, got %d", g.CooldownS))
	}
	switch g.Action {
	case GuardPause, GuardRollback, GuardNotify:
	default:
		errs = append(errs, fmt.Errorf("action must be pause, rollback or notify, got %q", g.Action))
	}
	return errors.Join(errs...)
}

// Window holds the install and failure times of one rollout bundle, oldest
// first. It is not safe for concurrent use.
type Window struct {
	installs, failures []time.Time
}

// Add records an install (failure false) or a failure at a time. Times
// are expected in order; a late one is kept where it lands.
func (w *Window) Add(at time.Time, failure bool) {
	if failure {
		w.failures = append(w.failures, at)
	} else {
		w.installs = append(w.installs, at)
	}
}

// Counts drops what is older than span before now and returns what is left.
func (w *Window) Counts(now time.Time, span time.Duration) (installs, failures int) {
	cut := now.Add(-span)
	w.installs = prune(w.installs, cut)
	w.failures = prune(w.failures, cut)
	return len(w.installs), len(w.failures)
}

func prune(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	if i == 0 {
		return ts
	}
	// Copy down rather than reslice so the backing array does not grow
	// without bound over a long rollout.
	n := copy(ts, ts[i:])
	return ts[:n]
}

// Verdict is the outcome of one guard evaluation.
type Verdict struct {
	Trip       bool    `json:"-"`
	Installs   int     `json:"installs"`
	Failures   int     `json:"failures"`
	Attempts   int     `json:"attempts"`
	Lower      float64 `json:"wilson_lower"`
	Reason     string  `json:"-"`
	CoolingOff bool    `json:"-"`
}

// Evaluate decides whether the guard trips now: enabled, attempts at least
// MinAttempts, the Wilson lower bound of the failure rate at or above the
// threshold, and the cooldown since the last trip over.
func (g GuardConfig) Evaluate(w *Window, now, lastTrip time.Time) Verdict {
	inst, fail := w.Counts(now, time.Duration(g.WindowS)*time.Second)
	v := Verdict{Installs: inst, Failures: fail, Attempts: inst + fail}
	v.Lower = WilsonLower(fail, v.Attempts, WilsonZ)
	if !g.Enabled || v.Attempts < g.MinAttempts || v.Lower < g.Threshold {
		return v
	}
	if !lastTrip.IsZero() && now.Sub(lastTrip) < time.Duration(g.CooldownS)*time.Second {
		v.CoolingOff = true
		return v
	}
	v.Trip = true
	v.Reason = fmt.Sprintf("wilson lower bound %.3f >= %.3f (failures %d / attempts %d in %ds)",
		v.Lower, g.Threshold, fail, v.Attempts, g.WindowS)
	return v
}
