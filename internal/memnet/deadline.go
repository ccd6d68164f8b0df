package memnet

import (
	"sync"
	"sync/atomic"
	"time"
)

// deadline is one direction's deadline of a conn, kept apart from the
// pipe's own. net/http's server sets a connection's deadlines eight times
// a request with BenchmarkRequest's timeouts (header, body, write, idle,
// and the background read's abort), and the pipe stopped and started a
// runtime timer on each: 3.4% of the CPU of a million-device run. Here a
// set only records the time; a timer is armed only when the deadline
// comes sooner than the one armed, and when it fires for a deadline that
// has since moved later it is armed again for that. A passed deadline is
// handed to the pipe, which wakes an operation blocked in it.
//
// As with the runtime's network poller, an operation started after the
// deadline but before its timer fired still runs: passed is set when the
// deadline is seen to have passed, by set or by the timer.
type deadline struct {
	mu      sync.Mutex
	at      time.Time // zero: none
	armedAt time.Time // when timer fires; zero: not armed
	timer   *time.Timer
	passed  atomic.Bool // the pipe was told too
	pipe    func(time.Time) error
}

// longAgo is a deadline that has passed whenever it is set.
var longAgo = time.Unix(1, 0)

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = t
	if d.passed.Load() {
		d.passed.Store(false)
		d.pipe(time.Time{})
	}
	switch {
	case t.IsZero():
	case !d.armedAt.IsZero() && !t.Before(d.armedAt):
		// The armed timer fires first, and fire expires the deadline or
		// arms it again for t. Most sets push a deadline later (a request
		// on a kept connection), and this spares them a read of the clock.
	case !time.Now().Before(t):
		d.expire()
	default:
		d.arm(t)
	}
}

// fire runs when the timer does: the deadline may have passed, moved
// later (arm again) or been cleared.
func (d *deadline) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armedAt = time.Time{}
	switch {
	case d.at.IsZero() || d.passed.Load():
	case !time.Now().Before(d.at):
		d.expire()
	default:
		d.arm(d.at)
	}
}

func (d *deadline) arm(t time.Time) {
	d.armedAt = t
	if d.timer == nil {
		d.timer = time.AfterFunc(time.Until(t), d.fire)
		return
	}
	d.timer.Reset(time.Until(t))
}

func (d *deadline) expire() {
	d.passed.Store(true)
	d.pipe(longAgo)
}

func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.armedAt = time.Time{}
	}
}
