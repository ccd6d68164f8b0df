package main

import (
	"fmt"
	"io"
	"time"
)

// Goals of the benchmark (docs/benchmarks.md, section "Overload"); the
// p99 is of the requests sent after the warm-up, while the server sheds:
// in the first second the crowd connects, and a server that does no work
// is over the goal then too.
const (
	goalRSS       = 512 << 20
	goalUpdateP99 = 50 * time.Millisecond
)

// Print writes the result: a table for people, then one RESULT line.
func (r *Result) Print(w io.Writer) {
	u, s := r.Updates.snapshot(), r.Stats.snapshot()
	at := func(e *endpoint, steady bool, q float64) time.Duration {
		e.mu.Lock()
		defer e.mu.Unlock()
		h := e.accepted
		if steady {
			h = e.steady
		}
		return time.Duration(h.ValueAtQuantile(q)) * time.Microsecond
	}
	p99 := func(e *endpoint) time.Duration { return at(e, false, 99) }
	p50 := func(e *endpoint) time.Duration { return at(e, false, 50) }
	steady99 := func(e *endpoint) time.Duration { return at(e, true, 99) }
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(w, "%d connections for %.0f s (think %s, batches of 1-%d, lose %.0f%%, %s)\n",
		r.Cfg.Conns, secs, r.Cfg.Think, r.Cfg.MaxBatch, 100*r.Cfg.Lose, map[bool]string{false: "Retry-After honoured", true: "hostile: Retry-After ignored"}[r.Cfg.Hostile])
	for _, row := range []struct {
		name string
		st   map[int]int64
		e    *endpoint
	}{{"/updates", u, r.Updates}, {"/stats", s, r.Stats}} {
		total := int64(0)
		for _, n := range row.st {
			total += n
		}
		fmt.Fprintf(w, "%-9s %8d requests (%6.0f/s): accepted %d (%.0f/s, p50 %s, p99 %s, p99 after the warm-up %s), shed 429 %d, 503 %d, no answer %d, other %d\n",
			row.name, total, float64(total)/secs, row.st[200], float64(row.st[200])/secs, p50(row.e), p99(row.e), steady99(row.e),
			row.st[429], row.st[503], row.st[-1], total-row.st[200]-row.st[429]-row.st[503]-row.st[-1])
	}
	fmt.Fprint(w, "accepted /updates p99 by second sent (ms):")
	r.Updates.mu.Lock()
	for sec, h := range r.Updates.bySecond {
		if h != nil {
			fmt.Fprintf(w, " %d:%.0f", sec, float64(h.ValueAtQuantile(99))/1000)
		}
	}
	r.Updates.mu.Unlock()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "stats events: %d sent, %d acknowledged (%.0f/s); %d batches posted again (%d replies dropped on purpose)\n",
		r.Sent, r.AckedN, float64(r.AckedN)/secs, r.Reposts, r.Lost)
	fmt.Fprintf(w, "server RSS: peak %d MB; over time:", r.PeakRSS()>>20)
	for i, smp := range r.RSS {
		if i%8 == 0 { // every 2 s
			fmt.Fprintf(w, " %.0fs:%d", smp.At.Seconds(), smp.RSS>>20)
		}
	}
	fmt.Fprintln(w, " (MB)")
	for _, l := range r.Server {
		fmt.Fprintln(w, "server:", l)
	}
	fmt.Fprintf(w, "RESULT conns=%d elapsed_s=%.1f peak_rss_mb=%d updates_accepted=%d updates_shed=%d updates_p99_ms=%.2f updates_steady_p99_ms=%.2f stats_accepted=%d stats_shed=%d stats_p99_ms=%.2f no_answer=%d events_acked=%d reposts=%d rss_goal_met=%t p99_goal_met=%t\n",
		r.Cfg.Conns, secs, r.PeakRSS()>>20, u[200], u[429]+u[503], ms(p99(r.Updates)), ms(steady99(r.Updates)), s[200], s[429]+s[503], ms(p99(r.Stats)),
		u[-1]+s[-1], r.AckedN, r.Reposts, r.PeakRSS() < goalRSS, steady99(r.Updates) < goalUpdateP99)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
