package refserver

import (
	"errors"
	"time"
)

// Bounds are the server's limits on what clients may hold of it:
// connections, time, and the work in flight. The zero value of a field is
// its default (docs/operating.md).
type Bounds struct {
	// MaxConns caps open client connections; one more is answered at once
	// with a 503 and Retry-After, and closed.
	MaxConns int
	// HeaderTimeout is the time to read a request's headers, ReadTimeout
	// its headers and body, WriteTimeout to write its reply, IdleTimeout
	// a kept-alive connection may wait for its next request.
	HeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MinTransferRate (bytes/s) is the slowest transfer of a bundle the
	// server waits for: a download may take WriteTimeout plus its size at
	// that rate, an upload ReadTimeout plus its size at that rate.
	MinTransferRate int64
	// MaxInFlight is how many requests each device endpoint (/updates,
	// /stats, /channel_self) handles at once, and MaxInFlightBytes the
	// bytes of the /stats bodies among them; past either, a request is
	// shed before its body is read (429 with Retry-After).
	MaxInFlight      int
	MaxInFlightBytes int64
	// StatsQueue bounds the stats events waiting for the writer (queued or
	// being committed); past it /stats is shed (429 with Retry-After)
	// rather than kept waiting (store.DefaultMaxPending when 0).
	StatsQueue int
	// RetryWindow is how long a stored stats event is remembered so that
	// its retry counts once (store.DefaultDedupWindow when 0); at most
	// RetryMax events are (store.DefaultDedupMax when 0).
	RetryWindow time.Duration
	RetryMax    int
	// NoCPUGuard keeps /stats from being shed when the CPU is saturated
	// (see cpuGuard); by default update checks come first.
	NoCPUGuard bool
}

// Defaults of Bounds.
const (
	DefaultMaxConns      = 10_000
	DefaultHeaderTimeout = 10 * time.Second
	DefaultReadTimeout   = 30 * time.Second
	DefaultWriteTimeout  = 30 * time.Second
	DefaultIdleTimeout   = 60 * time.Second
	// DefaultMinTransferRate is about a third of a slow 3G link (400
	// kbit/s), so that such a link completes a 5 MB bundle (in ~100 s,
	// within the 30 s + 305 s it is given).
	DefaultMinTransferRate = 16 << 10
	// DefaultMaxInFlight is a few times what two cores answer in the
	// 50 ms the overload benchmark allows an accepted /updates.
	DefaultMaxInFlight      = 1024
	DefaultMaxInFlightBytes = 64 << 20
	// MaxHeaderBytes bounds a request's headers (net/http's default is
	// 1 MiB); past it the reply is a 431.
	MaxHeaderBytes = 32 << 10
	// AdminCallTimeout is the time an authenticated admin call may take to
	// answer (generating a 2 GiB bundle takes seconds).
	AdminCallTimeout = 10 * time.Minute
)

// withDefaults fills the zero fields.
func (b Bounds) withDefaults() Bounds {
	set := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if b.MaxConns == 0 {
		b.MaxConns = DefaultMaxConns
	}
	set(&b.HeaderTimeout, DefaultHeaderTimeout)
	set(&b.ReadTimeout, DefaultReadTimeout)
	set(&b.WriteTimeout, DefaultWriteTimeout)
	set(&b.IdleTimeout, DefaultIdleTimeout)
	if b.MinTransferRate == 0 {
		b.MinTransferRate = DefaultMinTransferRate
	}
	if b.MaxInFlight == 0 {
		b.MaxInFlight = DefaultMaxInFlight
	}
	if b.MaxInFlightBytes == 0 {
		b.MaxInFlightBytes = DefaultMaxInFlightBytes
	}
	return b
}

// Validate reports every problem of a set of bounds.
func (b Bounds) Validate() error {
	var errs []error
	if b.MaxConns < 0 {
		errs = append(errs, errors.New("refserver: MaxConns must not be negative"))
	}
	if b.HeaderTimeout < 0 || b.ReadTimeout < 0 || b.WriteTimeout < 0 || b.IdleTimeout < 0 {
		errs = append(errs, errors.New("refserver: timeouts must not be negative"))
	}
	if b.MaxInFlight < 0 || b.MaxInFlightBytes < 0 || b.StatsQueue < 0 || b.RetryWindow < 0 || b.RetryMax < 0 {
		errs = append(errs, errors.New("refserver: MaxInFlight, MaxInFlightBytes, StatsQueue, RetryWindow and RetryMax must not be negative"))
	}
	if b.MinTransferRate < 0 {
		errs = append(errs, errors.New("refserver: MinTransferRate must not be negative"))
	}
	return errors.Join(errs...)
}
