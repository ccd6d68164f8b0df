package refserver

import (
	"context"
	"math"
	rtmetrics "runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// cpuGuard keeps update checks fast when the CPU is saturated by shedding
// /stats first. Storing stats is most of what a busy server's CPU does
// (decoding, the writer's SQLite inserts), and a device keeps its stats
// queued and posts them again later, while an update check that waits
// delays an update. The signal is the Go scheduler's latency (how long
// runnable goroutines waited for a CPU, runtime/metrics
// /sched/latencies:seconds): while its p99 over a tick is above
// schedTarget, the bytes of /stats bodies admitted per second are cut to
// 80% of what was admitted; while it is under a fifth of the target, the
// cut is lifted by 10% a tick, and removed once it no longer binds. The
// p99, because an update check waits for a CPU two or three times (read,
// reply) and its own p99 is what must stay low: held at 5 ms, accepted
// /updates kept a p99 of 9 to 24 ms at 6,000 connections on one CPU, where
// a p90 held at 5 ms let it reach 46 to 84 ms (docs/benchmarks.md,
// "Overload"). The stats writer yields between statements
// (store.rowsStmt), so a commit does not hold the CPU for the runtime's
// 10 ms slices that would alone put the p99 over the target.
type cpuGuard struct {
	limit    atomic.Int64 // /stats body bytes per second; 0: no limit
	admitted atomic.Int64 // bytes admitted since the last tick
	p99      atomic.Int64 // the last tick's scheduler latency p99, ns

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// Tuning of the guard.
const (
	schedTarget  = 5 * time.Millisecond
	guardTick    = 100 * time.Millisecond
	minStatsRate = 64 << 10 // bytes/s: stats never stop altogether
	guardBurst   = 0.2      // seconds of the limit a bucket holds
)

const schedMetric = "/sched/latencies:seconds"

// run adjusts the limit every tick until ctx ends.
func (g *cpuGuard) run(ctx context.Context) {
	sample := []rtmetrics.Sample{{Name: schedMetric}}
	rtmetrics.Read(sample)
	if sample[0].Value.Kind() != rtmetrics.KindFloat64Histogram {
		return // not this runtime's metric: no guard
	}
	prev := cloneCounts(sample[0].Value.Float64Histogram())
	tick := time.NewTicker(guardTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rtmetrics.Read(sample)
		h := sample[0].Value.Float64Histogram()
		p99 := deltaQuantile(h, prev, 0.99)
		prev = cloneCounts(h)
		g.p99.Store(int64(p99 * 1e9))
		g.adjust(time.Duration(p99*1e9), float64(g.admitted.Swap(0))/guardTick.Seconds())
	}
}

// adjust sets the limit from a tick's scheduler latency p99 and the bytes
// per second admitted during it.
func (g *cpuGuard) adjust(p99 time.Duration, rate float64) {
	limit := float64(g.limit.Load())
	switch {
	case p99 > schedTarget:
		base := rate
		if limit > 0 && limit < base {
			base = limit
		}
		g.limit.Store(int64(math.Round(max(minStatsRate, 0.8*base))))
	case limit > 0 && p99 < schedTarget/5:
		next := limit * 1.1
		if next > 4*rate+minStatsRate {
			next = 0 // no longer binding
		}
		g.limit.Store(int64(math.Round(next)))
	}
}

// admit reports whether a /stats body of size bytes may be handled now.
func (g *cpuGuard) admit(size int64) bool {
	limit := float64(g.limit.Load())
	if limit == 0 {
		g.admitted.Add(size)
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	g.tokens = math.Min(limit*guardBurst, g.tokens+limit*now.Sub(g.last).Seconds())
	g.last = now
	// A body may take the bucket below zero (one larger than the burst
	// must pass some day); the next ones wait for the debt to be paid.
	if g.tokens <= 0 {
		return false
	}
	g.tokens -= float64(size)
	g.admitted.Add(size)
	return true
}

func cloneCounts(h *rtmetrics.Float64Histogram) []uint64 {
	return append([]uint64(nil), h.Counts...)
}

// deltaQuantile is the q quantile of what a cumulative histogram gained
// since prev, as the upper bound of its bucket (0 when nothing was
// recorded).
func deltaQuantile(h *rtmetrics.Float64Histogram, prev []uint64, q float64) float64 {
	var total uint64
	for i, c := range h.Counts {
		if i < len(prev) {
			c -= prev[i]
		}
		total += c
	}
	if total == 0 {
		return 0
	}
	want := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h.Counts {
		if i < len(prev) {
			c -= prev[i]
		}
		seen += c
		if seen >= want {
			if hi := h.Buckets[i+1]; !math.IsInf(hi, 1) {
				return hi
			}
			return h.Buckets[i]
		}
	}
	return 0
}
