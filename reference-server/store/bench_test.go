package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWriteEvents is one /stats request's write as a fleet makes
// them: two events and an install count, committed alone (no other
// request to share the group commit with).
func BenchmarkWriteEvents(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "x.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	evs := []Event{
		{AppID: "com.example.app", DeviceID: "00000000-0000-4000-8000-000000000001", Action: "set", VersionName: "1.1.0",
			VersionBuild: "1.0.0", Platform: "ios", IsProd: true, Timestamp: 1, ReceivedAt: time.Unix(1, 0)},
		{AppID: "com.example.app", DeviceID: "00000000-0000-4000-8000-000000000001", Action: "app_moved_to_foreground",
			VersionName: "1.1.0", VersionBuild: "1.0.0", Platform: "ios", IsProd: true, Timestamp: 2, ReceivedAt: time.Unix(2, 0)},
	}
	evs[0].Counts = []CountDelta{{AppID: "com.example.app", Bundle: "1.1.0", Kind: KindInstall, N: 1}}
	b.ReportAllocs()
	ts := int64(0)
	for b.Loop() {
		// New timestamps: the same events again would be retries.
		ts += 2
		evs[0].Timestamp, evs[1].Timestamp = ts, ts+1
		if _, err := s.WriteEvents(context.Background(), evs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteEventsBatches is /stats under load: 8 callers at once,
// each writing a batch of 30 events of one device with its count deltas,
// so that group commits carry several batches. ns/op is per batch.
func BenchmarkWriteEventsBatches(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "x.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	evs := make([]Event, 30)
	for i := range evs {
		evs[i] = Event{AppID: "com.example.app", DeviceID: "00000000-0000-4000-8000-000000000001", Action: "app_moved_to_foreground",
			VersionName: "1.1.0", OldVersionName: "1.0.0", VersionBuild: "1.0.0", Platform: "android", IsProd: true,
			Timestamp: int64(i), ReceivedAt: time.Unix(1, 0)}
		if i%5 == 0 {
			evs[i].Action = "set"
			evs[i].Counts = []CountDelta{{AppID: "com.example.app", Bundle: "1.1.0", Kind: KindInstall, N: 1},
				{AppID: "com.example.app", Bundle: "1.0.0", Kind: KindUninstall, N: 1}}
		}
		if i%10 == 3 {
			evs[i].Action, evs[i].Metadata = "download_fail", map[string]string{"reason": "network"}
		}
	}
	b.ReportAllocs()
	b.SetParallelism(4) // 8 callers on 2 cores
	var seq atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		mine := append([]Event{}, evs...)
		for pb.Next() {
			// New timestamps: the same events again would be retries.
			base := seq.Add(int64(len(mine)))
			for i := range mine {
				mine[i].Timestamp = base + int64(i)
			}
			if _, err := s.WriteEvents(context.Background(), mine); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkWriteEventsFleet is /stats as a simulated fleet posts it: an
// open loop of posts at a steady rate (5,000 a second, the fleet-scale
// run's stats rate at full speed), each from its own device with two
// events, and a check of another device recorded beside it. Posts overlap
// only when a commit is slow, as from devices rather than from a few
// busy clients. cpu-µs/post is what the writer costs a post; posts/commit
// how full the group commits are.
func BenchmarkWriteEventsFleet(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "x.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// A fleet's worth of devices already known: the upserts of checks
	// land on pages of a table far larger than the page cache.
	for k := range int64(400) {
		for i := range int64(1000) {
			n := 1_000_000 + k*1000 + i
			s.TouchDevice(Device{AppID: "com.example.app", DeviceID: fmt.Sprintf("%08x-0000-4000-8000-%012dx", uint32(n*2654435761), n%1_000_000),
				Platform: "android", VersionName: "1.1.0", VersionBuild: "1.0.0", LastSeen: time.Unix(n, 0)})
		}
		s.commit(nil)
	}
	b.ResetTimer()
	const rate = 5000
	post := func(n int64) {
		// Device ids spread over the key space, as the fleet's random
		// UUIDs are: every upsert lands on its own page of the table.
		m := 1_000_000 + (n*7919)%400_000 // one of the devices known
		dev := fmt.Sprintf("%08x-0000-4000-8000-%012d", uint32(m*2654435761), m%1_000_000)
		evs := []Event{
			{AppID: "com.example.app", DeviceID: dev, Action: "app_moved_to_foreground", VersionName: "1.1.0",
				VersionBuild: "1.0.0", Platform: "android", IsProd: true, Timestamp: 2 * n, ReceivedAt: time.Unix(n, 0)},
			{AppID: "com.example.app", DeviceID: dev, Action: "app_launch_ready", VersionName: "1.1.0", VersionBuild: "1.0.0",
				Platform: "android", IsProd: true, Timestamp: 2*n + 1, ReceivedAt: time.Unix(n, 0),
				Metadata: map[string]string{"source": "notify_app_ready", "duration_ms": "1500"}},
		}
		if _, err := s.WriteEvents(context.Background(), evs); err != nil {
			b.Error(err)
		}
		s.TouchDevice(Device{AppID: "com.example.app", DeviceID: dev + "x", Platform: "android", VersionName: "1.1.0",
			VersionBuild: "1.0.0", LastSeen: time.Unix(n, 0)})
	}
	jobs := make(chan int64, 1024)
	var wg sync.WaitGroup
	for range 256 {
		wg.Go(func() {
			for n := range jobs {
				post(n)
			}
		})
	}
	b.ReportAllocs()
	commits0, posts0 := s.commits.Load(), s.posts.Load()
	cpu0 := cpuTime()
	start := time.Now()
	for n := range int64(b.N) {
		if wait := time.Until(start.Add(time.Duration(n) * time.Second / rate)); wait > 0 {
			time.Sleep(wait)
		}
		jobs <- n
	}
	close(jobs)
	wg.Wait()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/post")
	if c := s.commits.Load() - commits0; c > 0 {
		b.ReportMetric(float64(s.posts.Load()-posts0)/float64(c), "posts/commit")
	}
}

// cpuTime is the process's CPU time (user and system): on a shared
// machine the CPU a write costs says more than its wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCommitGroup is the stats writer's own work for one group
// commit, the serial stage of a busy server, measured on the benchmark's
// goroutine: 25 posts of 3 events from devices of their own, their rows
// made ready as WriteEvents' callers make them, the retry memory holding
// a quarter million keys. ns/op is per group; ns/event beside it.
func BenchmarkCommitGroup(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "x.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	at := time.Unix(1, 0)
	for i := range uint64(250_000) {
		s.seen.add(hashKey(i), at)
	}
	const posts, perPost = 25, 3
	var n int64
	batch := make([]writeReq, posts)
	drain := func() {
		for _, r := range batch {
			if r.done == nil {
				continue
			}
			if res := <-r.done; res.err != nil {
				b.Fatal(res.err)
			}
			s.rowBufs.release(r.rows)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		drain()
		for p := range batch {
			n++
			dev := fmt.Sprintf("%08x-0000-4000-8000-%012d", uint32(n*2654435761), n)
			evs := make([]Event, perPost)
			for i := range evs {
				evs[i] = Event{AppID: "com.example.app", DeviceID: dev, Action: "app_moved_to_foreground", VersionName: "1.1.0",
					VersionBuild: "1.0.0", Platform: "android", IsProd: true, Timestamp: n*perPost + int64(i), ReceivedAt: at}
			}
			evs[0].Action, evs[0].Metadata = "app_launch_ready", map[string]string{"source": "notify_app_ready"}
			evs[1].Action, evs[1].Counts = "set", []CountDelta{{AppID: "com.example.app", Bundle: "1.1.0", Kind: KindInstall, N: 1}}
			rows, err := s.rowBufs.prepare(evs, s.seen)
			if err != nil {
				b.Fatal(err)
			}
			batch[p] = writeReq{events: evs, rows: rows, done: make(chan writeResult, 1)}
		}
		s.pending.Add(posts * perPost)
		b.StartTimer()
		s.commit(batch)
	}
	drain()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*posts*perPost), "ns/event")
}
