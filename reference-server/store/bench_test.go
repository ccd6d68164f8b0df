package store

import (
	"context"
	"path/filepath"
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
	deltas := []CountDelta{{AppID: "com.example.app", Bundle: "1.1.0", Kind: KindInstall, N: 1}}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.WriteEvents(context.Background(), evs, deltas); err != nil {
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
	var deltas []CountDelta
	for i := range evs {
		evs[i] = Event{AppID: "com.example.app", DeviceID: "00000000-0000-4000-8000-000000000001", Action: "app_moved_to_foreground",
			VersionName: "1.1.0", OldVersionName: "1.0.0", VersionBuild: "1.0.0", Platform: "android", IsProd: true,
			Timestamp: int64(i), ReceivedAt: time.Unix(1, 0)}
		if i%5 == 0 {
			evs[i].Action = "set"
			deltas = append(deltas, CountDelta{AppID: "com.example.app", Bundle: "1.1.0", Kind: KindInstall, N: 1},
				CountDelta{AppID: "com.example.app", Bundle: "1.0.0", Kind: KindUninstall, N: 1})
		}
		if i%10 == 3 {
			evs[i].Action, evs[i].Metadata = "download_fail", map[string]string{"reason": "network"}
		}
	}
	b.ReportAllocs()
	b.SetParallelism(4) // 8 callers on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.WriteEvents(context.Background(), evs, deltas); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}
