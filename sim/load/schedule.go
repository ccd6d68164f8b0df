package load

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Stage is one piece of a ramping profile: the arrival rate moves linearly
// from the previous stage's target (or the start rate) to Target over
// Duration.
type Stage struct {
	Target   float64 // requests per second at the end of the stage
	Duration time.Duration
}

// Schedule is the intended send time of every request of an open-model
// profile: request n (from 0) is due At(n) after the start. It is pure
// arithmetic on the profile, so the same profile always gives the same
// schedule, and a generator that falls behind cannot move it.
type Schedule struct {
	stages []segment
	total  float64 // arrivals over the whole schedule (fractional)
	length time.Duration
}

// segment is a stage with its cumulative arrivals and start time.
type segment struct {
	from, to float64 // rates, per second
	secs     float64 // length in seconds
	start    float64 // start, seconds since the schedule's start
	before   float64 // arrivals before the segment
	count    float64 // arrivals within it: (from+to)/2 × secs
}

// Constant returns the schedule of rate requests per second for d: request
// n is due at n/rate, so a whole number of seconds holds exactly rate
// requests each.
func Constant(rate float64, d time.Duration) (*Schedule, error) {
	return Ramping(rate, []Stage{{Target: rate, Duration: d}})
}

// Ramping returns the schedule of k6's ramping arrival rate: starting at
// start requests per second, each stage moves the rate linearly to its
// target. The number of requests due by time t is the integral of the rate
// from 0 to t, and request n is due when that integral reaches n.
func Ramping(start float64, stages []Stage) (*Schedule, error) {
	var errs []error
	if !(start >= 0 && start <= maxRate) {
		errs = append(errs, fmt.Errorf("start rate %v: want 0 to %g requests per second", start, float64(maxRate)))
	}
	if len(stages) == 0 {
		errs = append(errs, errors.New("no stages"))
	}
	for i, st := range stages {
		if !(st.Target >= 0 && st.Target <= maxRate) {
			errs = append(errs, fmt.Errorf("stage %d: target %v: want 0 to %g requests per second", i+1, st.Target, float64(maxRate)))
		}
		if st.Duration <= 0 {
			errs = append(errs, fmt.Errorf("stage %d: duration %v: want above 0", i+1, st.Duration))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("load schedule: %w", err)
	}
	s := &Schedule{stages: make([]segment, 0, len(stages))}
	from, at := start, 0.0
	for _, st := range stages {
		secs := st.Duration.Seconds()
		seg := segment{from: from, to: st.Target, secs: secs, start: at, before: s.total,
			count: (from + st.Target) / 2 * secs}
		s.stages = append(s.stages, seg)
		s.total += seg.count
		s.length += st.Duration
		from, at = st.Target, at+secs
	}
	return s, nil
}

// maxRate bounds a rate, as the scenario schema does.
const maxRate = 1e6

// Len is the length of the schedule.
func (s *Schedule) Len() time.Duration { return s.length }

// Count is the number of requests the schedule holds: those due strictly
// before its end.
func (s *Schedule) Count() int64 {
	return max(ceilCount(s.total), 0)
}

// Peak is the highest rate of the schedule, requests per second.
func (s *Schedule) Peak() float64 {
	var p float64
	for _, g := range s.stages {
		p = max(p, g.from, g.to)
	}
	return p
}

// At returns when request n is due, from the start; ok is false when the
// schedule holds no request n.
func (s *Schedule) At(n int64) (d time.Duration, ok bool) {
	if n < 0 || n >= s.Count() {
		return 0, false
	}
	m := float64(n)
	// Stages are few; a linear scan from the end keeps this simple.
	k := len(s.stages) - 1
	for k > 0 && s.stages[k].before > m {
		k--
	}
	// Zero-length arrivals (a stage at rate 0) hold no requests: skip to
	// the first later stage that does.
	for k < len(s.stages)-1 && m >= s.stages[k].before+s.stages[k].count {
		k++
	}
	g := &s.stages[k]
	t := g.start + g.offset(m-g.before)
	return time.Duration(t * float64(time.Second)), true
}

// offset solves from·t + (to−from)·t²/(2·secs) = m for t within the
// segment. The form 2m / (b + √(b² + 4am)) is stable for a rate that is
// constant (a = 0), starts at 0 (b = 0) or falls (a < 0).
func (g *segment) offset(m float64) float64 {
	if m <= 0 {
		return 0
	}
	a := (g.to - g.from) / (2 * g.secs)
	b := g.from
	disc := b*b + 4*a*m
	if disc < 0 {
		disc = 0 // rounding at the very end of a falling ramp
	}
	den := b + math.Sqrt(disc)
	if den <= 0 {
		return g.secs
	}
	return min(2*m/den, g.secs)
}

// DueBy is the number of requests due strictly before d from the start.
func (s *Schedule) DueBy(d time.Duration) int64 {
	t := d.Seconds()
	if t <= 0 {
		return 0
	}
	if d >= s.length {
		return s.Count()
	}
	k := len(s.stages) - 1
	for k > 0 && s.stages[k].start > t {
		k--
	}
	g := &s.stages[k]
	x := t - g.start
	m := g.before + g.from*x + (g.to-g.from)*x*x/(2*g.secs)
	return min(ceilCount(m), s.Count())
}

// ceilCount rounds a fractional count of arrivals up, forgiving the
// rounding error of the float arithmetic (a count of 2.0000000001 is 2).
func ceilCount(x float64) int64 {
	return int64(math.Ceil(x - 1e-9*max(1, math.Abs(x))))
}
