package sim

import (
	"runtime"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/vclock"
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

// BenchmarkEngineCheck is the engine's side of one /updates request,
// without the HTTP: the job built (the device's info), dispatched to the
// worker queue, taken back with an up_to_date reply, its latency
// recorded and the reply handed to the device's state machine.
func BenchmarkEngineCheck(b *testing.B) {
	e := benchEngine(b, "quickstart")
	e.pool = newPool(1, 1, maxBacklog)
	reply := protocol.UpdateReply{Error: protocol.CodeNoNewVersion, Kind: protocol.KindUpToDate}
	n := uint32(e.pop.N)
	b.ReportAllocs()
	var dev uint32
	for b.Loop() {
		dev = (dev + 7919) % n
		e.curAt = 0
		e.dispatch(e.newJob(jobCheck, dev))
		if j := takeJob(e); j != nil {
			j.upd = reply
			e.complete(j)
		}
	}
}

// BenchmarkEngineStats is the engine's side of one stats post without the
// HTTP: three events queued by a device (a cold start's launch events
// with their metadata among them), the tick's batch built and
// dispatched, taken back acknowledged and counted.
func BenchmarkEngineStats(b *testing.B) {
	e := benchEngine(b, "quickstart")
	e.pool = newPool(1, 1, maxBacklog)
	n := uint32(e.pop.N)
	b.ReportAllocs()
	var dev uint32
	for b.Loop() {
		dev = (dev + 7919) % n
		e.devs[dev].Flags |= device.FlagProcess
		e.curAt = 0
		e.Stat(dev, protocol.ActionAppLaunchStart, device.Builtin, device.None)
		e.Stat(dev, protocol.ActionMovedToForeground, device.Builtin, device.None)
		e.Stat(dev, protocol.ActionAppLaunchReady, device.Builtin, device.None)
		e.flushStats(dev)
		j := takeJob(e)
		if j == nil {
			continue
		}
		j.st.Status = "ok"
		e.complete(j)
		if e.stats.queues.get(dev) != nil {
			b.Fatal("the queue outlived its acknowledged events")
		}
	}
}

// takeJob takes the job the engine dispatched as a worker would, and
// gives it a 200 sent and answered now; nil when the device's modelled
// network failed it before it left.
func takeJob(e *engine) *job {
	select {
	case j := <-e.pool.api.ch:
		now := time.Now()
		j.picked, j.res = now, client.Result{Status: 200, Sent: now, Done: now, RetryAfter: -1}
		return j
	default:
		return nil
	}
}

// benchEngine is an engine of a bundled scenario at speed 1, its devices
// and timeline made and its clock started, with nothing listening at its
// endpoints: for benchmarks of the engine's own steps.
func benchEngine(b *testing.B, scenario string) *engine {
	b.Helper()
	sc, err := scenarios.Load(scenario)
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
	return e
}
