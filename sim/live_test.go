package sim

import (
	"testing"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/vclock"
)

// BenchmarkTotals is what a progress snapshot with totals costs the
// engine goroutine (once a second): the recorder's counters and buckets
// copied, adoption at the last sample, and the targets judged on the run
// so far, on the quickstart fleet.
func BenchmarkTotals(b *testing.B) {
	sc, err := scenarios.Load("quickstart")
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{Scenario: sc, Speed: 1, Endpoints: client.Endpoints{Updates: "http://127.0.0.1:1/u", Stats: "http://127.0.0.1:1/s", Channel: "http://127.0.0.1:1/c"}}
	e, err := newEngine(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	e.initDevices()
	e.initTimeline()
	clk, err := vclock.New(1, time.Now(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	e.clk = clk
	e.series.init(e.set.sampleEvery, e.cohorts)
	e.sample(0)
	for i := range 100_000 {
		e.rec.API(i%metrics.NumEndpoints, i%len(e.cohorts), time.Duration(i%5000)*time.Microsecond, time.Millisecond, 200, false)
	}
	b.ReportAllocs()
	for b.Loop() {
		if t := e.totals(); len(t.Requests) == 0 || len(t.Targets) == 0 {
			b.Fatal("empty totals")
		}
	}
}
