package faults

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Rand is a source of fault decisions shared by the requests of one handler.
// It is safe for concurrent use; tests seed it to replay decisions.
type Rand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewRand returns a source seeded with seed.
func NewRand(seed uint64) *Rand {
	return &Rand{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// NewRandomRand returns a source with a random seed.
func NewRandomRand() *Rand { return NewRand(rand.Uint64()) }

// Hit reports true with probability p; p <= 0 never draws, so a zero knob
// costs no lock.
func (r *Rand) Hit(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Float64() < p
}

// Int64N returns a uniform value in [0, n); n must be positive.
func (r *Rand) Int64N(n int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Int64N(n)
}

// Delay returns latencyMs plus a uniform 0..jitterMs, as a duration.
func (r *Rand) Delay(latencyMs, jitterMs int) time.Duration {
	d := time.Duration(latencyMs) * time.Millisecond
	if jitterMs > 0 {
		d += time.Duration(r.Int64N(int64(jitterMs)+1)) * time.Millisecond
	}
	return d
}

// Sleep waits for d or until ctx is done, whichever comes first, and
// returns ctx's error in the second case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
