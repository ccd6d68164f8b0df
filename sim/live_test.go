package sim

import (
	"testing"
	"time"

	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
)

// BenchmarkTotals is what a progress snapshot with totals costs the
// engine goroutine (once a second): the recorder's counters and buckets
// copied, adoption at the last sample, and the targets judged on the run
// so far, on the quickstart fleet.
func BenchmarkTotals(b *testing.B) {
	e := benchEngine(b, "quickstart")
	e.sample(0)
	for i := range 100_000 {
		e.rec.API(i%metrics.NumEndpoints, i%len(e.cohorts), time.Duration(i%5000)*time.Microsecond, time.Millisecond, 200, results.OutcomeSuccess, "")
	}
	b.ReportAllocs()
	for b.Loop() {
		if t := e.totals(); len(t.Requests) == 0 || len(t.Targets) == 0 {
			b.Fatal("empty totals")
		}
	}
}
