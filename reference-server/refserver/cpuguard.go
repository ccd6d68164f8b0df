package refserver

import (
	"context"
	"math"
	"runtime"
	rtmetrics "runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// cpuGuard keeps update checks fast when the CPU is saturated by shedding
// /stats first. Storing stats is most of what a busy server's CPU does
// (decoding, the writer's SQLite inserts), and a device keeps its stats
// queued and posts them again later, while an update check that waits
// delays an update. Saturated means both of the Go scheduler's signals
// over a tick (runtime/metrics): its latency, how long runnable goroutines
// waited for a CPU (/sched/latencies:seconds), has a p99 above
// schedTarget; and the server's own work is queued, at least one runnable
// goroutine per P on average (/sched/goroutines/runnable:goroutines,
// sampled every 10 ms). The queue tells a server that makes its own wait
// from one whose CPU a neighbour takes: beside a CPU hog, the latency of
// a lightly loaded server is high too, and shedding its stats would help
// nothing. While saturated, the bytes of /stats bodies admitted per second
// are cut to 80% of what was admitted; once the latency is under a fifth
// of the target or the queue under half a goroutine per P, the cut is
// lifted by 10% a tick, and removed once it no longer binds. The p99,
// because an update check waits for a CPU two or three times (read,
// reply) and its own p99 is what must stay low: held at 5 ms, accepted
// /updates kept a p99 of 9 to 36 ms at 6,000 connections on one CPU, where
// a p90 held at 5 ms let it reach 46 to 84 ms (docs/benchmarks.md,
// "Overload"). The stats writer yields between statements
// (store.rowsStmt), so a commit does not hold the CPU for the runtime's
// 10 ms slices that would alone put the p99 over the target.
type cpuGuard struct {
	limit    atomic.Int64 // /stats body bytes per second; 0: no limit
	admitted atomic.Int64 // bytes admitted since the last tick
	p99      atomic.Int64 // the last tick's scheduler latency p99, ns
	queue    atomic.Int64 // the last tick's runnable goroutines per P, in thousandths

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// Tuning of the guard.
const (
	schedTarget  = 5 * time.Millisecond
	guardTick    = 100 * time.Millisecond
	queueSample  = 10 * time.Millisecond // guardTick/queueSample samples of the queue a tick
	minStatsRate = 64 << 10              // bytes/s: stats never stop altogether
	guardBurst   = 0.2                   // seconds of the limit a bucket holds
)

const (
	schedMetric    = "/sched/latencies:seconds"
	runnableMetric = "/sched/goroutines/runnable:goroutines"
)

// run adjusts the limit every tick until ctx ends.
func (g *cpuGuard) run(ctx context.Context) {
	latency := []rtmetrics.Sample{{Name: schedMetric}}
	runnable := []rtmetrics.Sample{{Name: runnableMetric}}
	rtmetrics.Read(latency)
	rtmetrics.Read(runnable)
	if latency[0].Value.Kind() != rtmetrics.KindFloat64Histogram || runnable[0].Value.Kind() != rtmetrics.KindUint64 {
		return // not this runtime's metrics: no guard
	}
	prev := cloneCounts(latency[0].Value.Float64Histogram())
	tick := time.NewTicker(queueSample)
	defer tick.Stop()
	var queued uint64 // runnable goroutines summed over the tick's samples
	const samples = int(guardTick / queueSample)
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rtmetrics.Read(runnable)
		queued += runnable[0].Value.Uint64()
		if n%samples != 0 {
			continue
		}
		rtmetrics.Read(latency)
		h := latency[0].Value.Float64Histogram()
		p99 := deltaQuantile(h, prev, 0.99)
		prev = cloneCounts(h)
		queue := float64(queued) / float64(samples) / float64(runtime.GOMAXPROCS(0))
		queued = 0
		g.p99.Store(int64(p99 * 1e9))
		g.queue.Store(int64(queue * 1000))
		g.adjust(time.Duration(p99*1e9), queue, float64(g.admitted.Swap(0))/guardTick.Seconds())
	}
}

// adjust sets the limit from a tick's scheduler latency p99, its mean
// runnable goroutines per P and the bytes per second admitted during it.
func (g *cpuGuard) adjust(p99 time.Duration, queue, rate float64) {
	limit := float64(g.limit.Load())
	switch {
	case p99 > schedTarget && queue >= 1:
		base := rate
		if limit > 0 && limit < base {
			base = limit
		}
		g.limit.Store(int64(math.Round(max(minStatsRate, 0.8*base))))
	case limit > 0 && (p99 < schedTarget/5 || queue < 0.5):
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
