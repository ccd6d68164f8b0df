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

// BenchmarkSample is one sample of a million-device fleet: the scan of
// every device for activity and bundle, per cohort.
func BenchmarkSample(b *testing.B) {
	sc, err := scenarios.Load("fleet-scale")
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{Scenario: sc, Endpoints: client.Endpoints{Updates: "http://127.0.0.1:1/u", Stats: "http://127.0.0.1:1/s", Channel: "http://127.0.0.1:1/c"}}
	e, err := newEngine(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	e.initDevices()
	e.initTimeline()
	e.series.init(e.set.sampleEvery, e.cohorts)
	b.ReportAllocs()
	at := int64(0)
	for b.Loop() {
		at += 600_000
		e.sample(at)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(e.pop.N), "ns/device")
}
