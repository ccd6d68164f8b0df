package refserver

import (
	"math"
	rtmetrics "runtime/metrics"
	"testing"
	"time"
)

func TestCPUGuardAdjust(t *testing.T) {
	var g cpuGuard
	steps := []struct {
		name  string
		p99   time.Duration
		queue float64
		rate  float64
		limit int64
	}{
		{"idle: no limit", 500 * time.Microsecond, 0, 1e6, 0},
		{"slow but no queue (a neighbour takes the CPU): no limit", 10 * time.Millisecond, 0.3, 1e6, 0},
		{"saturated: 80% of what came", 10 * time.Millisecond, 4, 1e6, 800_000},
		{"still: 80% of the limit", 10 * time.Millisecond, 1, 2e6, 640_000},
		{"in between: kept", 4 * time.Millisecond, 2, 640_000, 640_000},
		{"slow, queue gone: lifted by 10%", 10 * time.Millisecond, 0.2, 640_000, 704_000},
		{"calm: lifted by 10%", 500 * time.Microsecond, 2, 704_000, 774_400},
		{"calm, not binding: removed", 500 * time.Microsecond, 0, 100_000, 0},
		{"saturated with nothing admitted: the floor", 10 * time.Millisecond, 3, 0, minStatsRate},
	}
	for _, s := range steps {
		g.adjust(s.p99, s.queue, s.rate)
		if got := g.limit.Load(); got != s.limit {
			t.Fatalf("%s: limit %d, want %d", s.name, got, s.limit)
		}
	}
}

func TestCPUGuardAdmit(t *testing.T) {
	var g cpuGuard
	if !g.admit(1 << 20) {
		t.Fatal("no limit, refused")
	}
	g.limit.Store(1000) // a bucket of 0.2 s: 200 bytes; a debt of 1 MB takes 1,000 s to pay
	if !g.admit(100) || !g.admit(50) {
		t.Fatal("bodies within the burst refused")
	}
	if !g.admit(1_000_000) {
		t.Fatal("a body over what is left refused: it must pass, into debt")
	}
	if g.admit(100) {
		t.Fatal("admitted while in debt")
	}
}

func TestDeltaQuantile(t *testing.T) {
	h := &rtmetrics.Float64Histogram{Buckets: []float64{0, 0.001, 0.01, 0.1, math.Inf(1)}, Counts: []uint64{10, 100, 5, 1}}
	prev := []uint64{10, 10, 0, 0}
	// Since prev: 90 in [1 ms, 10 ms), 5 in [10 ms, 100 ms), 1 past 100 ms
	// (read as 100 ms, the last finite bound).
	for _, c := range []struct {
		q    float64
		want float64
	}{{0.5, 0.01}, {0.9, 0.01}, {0.95, 0.1}, {1, 0.1}} {
		if got := deltaQuantile(h, prev, c.q); got != c.want {
			t.Errorf("q %v: %v, want %v", c.q, got, c.want)
		}
	}
	if got := deltaQuantile(h, h.Counts, 0.99); got != 0 {
		t.Errorf("nothing new: %v", got)
	}
}
