package vclock

import (
	"sync/atomic"
	"time"
)

// Source hands out the run's virtual time before the clock exists: a
// server built before the run starts is given Source.Now, which reads
// Epoch until Set installs the clock.
type Source struct {
	c atomic.Pointer[Clock]
}

// Set installs the clock.
func (s *Source) Set(c *Clock) { s.c.Store(c) }

// Clock returns the installed clock (nil before Set).
func (s *Source) Clock() *Clock { return s.c.Load() }

// Now is the virtual time now, or Epoch before the run starts.
func (s *Source) Now() time.Time {
	if c := s.c.Load(); c != nil {
		return c.Now()
	}
	return Epoch()
}
