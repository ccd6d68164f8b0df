package sim

import (
	"runtime"
	"testing"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
)

// BenchmarkFleetMemory builds the state of a million devices (the later
// goal: a million devices in one process) and reports the heap per device.
func BenchmarkFleetMemory(b *testing.B) {
	sc, err := scenarios.Load("quickstart")
	if err != nil {
		b.Fatal(err)
	}
	const n = 1_000_000
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		cfg := Config{Scenario: sc, Devices: n, Endpoints: client.Endpoints{Updates: "http://127.0.0.1:1/u", Stats: "http://127.0.0.1:1/s", Channel: "http://127.0.0.1:1/c"}}
		e, err := newEngine(&cfg)
		if err != nil {
			b.Fatal(err)
		}
		e.initDevices()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/float64(e.pop.N), "B/device")
		b.ReportMetric(float64(e.q.Len())/float64(e.pop.N), "events/device")
		runtime.KeepAlive(e)
	}
}
