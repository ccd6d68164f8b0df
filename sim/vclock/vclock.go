// Package vclock is the run's virtual clock: virtual time starts at a fixed
// epoch and advances at Speed virtual seconds per real second from a wall
// start. The real clock is injected so tests drive it.
package vclock

import (
	"fmt"
	"time"
)

// Epoch returns the virtual time at the start of every run: a Monday at
// midnight UTC, so that diurnal curves and weekdays are meaningful.
func Epoch() time.Time { return time.UnixMilli(EpochMilli).UTC() }

// EpochMilli is Epoch in Unix milliseconds, 2030-01-07T00:00:00Z: a
// constant, since every stats event's timestamp starts from it (building
// the date each time was 0.5% of a 1M run's CPU).
const EpochMilli = 1_893_974_400_000

// Clock maps wall time to virtual time. It is immutable once built, so any
// goroutine may read it.
type Clock struct {
	speed     float64
	wallStart time.Time
	real      func() time.Time
}

// New returns a clock whose virtual time is Epoch at wallStart and runs
// speed times faster than real. real is the wall clock (time.Now in
// production).
func New(speed float64, wallStart time.Time, real func() time.Time) (*Clock, error) {
	if !(speed > 0) || speed > 1e7 {
		return nil, fmt.Errorf("vclock: speed %v out of range (0, 1e7]", speed)
	}
	if real == nil {
		return nil, fmt.Errorf("vclock: no real clock")
	}
	return &Clock{speed: speed, wallStart: wallStart, real: real}, nil
}

// Speed is virtual seconds per real second.
func (c *Clock) Speed() float64 { return c.speed }

// WallStart is the wall time at virtual Epoch.
func (c *Clock) WallStart() time.Time { return c.wallStart }

// Now is the virtual time now.
func (c *Clock) Now() time.Time { return c.VirtualFor(c.real()) }

// Real is the wall time now.
func (c *Clock) Real() time.Time { return c.real() }

// SinceStart is the virtual time elapsed since Epoch, now.
func (c *Clock) SinceStart() time.Duration { return c.Now().Sub(Epoch()) }

// VirtualFor is the virtual time at a wall time.
func (c *Clock) VirtualFor(wall time.Time) time.Time {
	return Epoch().Add(time.Duration(float64(wall.Sub(c.wallStart)) * c.speed))
}

// WallFor is the wall time at which virtual time vt comes.
func (c *Clock) WallFor(vt time.Time) time.Time {
	return c.wallStart.Add(time.Duration(float64(vt.Sub(Epoch())) / c.speed))
}

// WallForOffset is WallFor of Epoch + d (d in virtual time).
func (c *Clock) WallForOffset(d time.Duration) time.Time {
	return c.wallStart.Add(time.Duration(float64(d) / c.speed))
}

// OffsetFor is the virtual time since Epoch at a wall time.
func (c *Clock) OffsetFor(wall time.Time) time.Duration {
	return time.Duration(float64(wall.Sub(c.wallStart)) * c.speed)
}

// RealDuration is how long virtual duration d lasts in wall time.
func (c *Clock) RealDuration(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.speed)
}
