package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestWriteEventsMultiRow writes batches whose sizes cross the multi-row
// INSERT chunks (64, 16, 4, 1) in one group commit and reads every event
// back, in order and with every column, and the summed counts.
func TestWriteEventsMultiRow(t *testing.T) {
	for _, sizes := range [][]int{{1}, {3}, {4}, {63}, {64}, {65}, {85}, {1, 5, 70, 83, 16}} {
		t.Run(fmt.Sprint(sizes), func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "x.db"))
			ctx := context.Background()
			recv := time.UnixMilli(1_700_000_000_123).UTC()
			var want []Event
			// Queue every batch before the writer takes the first, so that
			// they share group commits.
			errs := make(chan error, len(sizes))
			seq := 0
			for _, n := range sizes {
				evs := make([]Event, n)
				for i := range evs {
					seq++
					evs[i] = Event{AppID: "a.b", DeviceID: fmt.Sprintf("d%d", seq%7), Action: "set", VersionName: "1.1.0",
						OldVersionName: "1.0.0", VersionBuild: "1.0.0", Platform: "ios", IsProd: seq%2 == 0, IsEmulator: seq%3 == 0,
						Timestamp: int64(seq), ReceivedAt: recv}
					if seq%4 == 0 {
						evs[i].Metadata = map[string]string{"k": fmt.Sprint(seq)}
					}
				}
				want = append(want, evs...)
				go func() {
					errs <- s.WriteEvents(ctx, evs, []CountDelta{{AppID: "a.b", Bundle: "1.1.0", Kind: KindInstall, N: int64(n)},
						{AppID: "a.b", Bundle: "1.0.0", Kind: KindUninstall, N: 1}})
				}()
			}
			for range sizes {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			var got []Event
			if err := s.Events(ctx, "a.b", time.Time{}, func(e Event) error { got = append(got, e); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d events stored, want %d", len(got), len(want))
			}
			// Batches may commit in any order; each batch's events stay in
			// order. Compare as a set keyed by timestamp.
			byTS := map[int64]Event{}
			for _, e := range got {
				byTS[e.Timestamp] = e
			}
			for _, w := range want {
				if g := byTS[w.Timestamp]; !reflect.DeepEqual(g, w) {
					t.Fatalf("event %d stored as %+v, want %+v", w.Timestamp, g, w)
				}
			}
			counts, err := s.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sum := map[string]int64{}
			for _, c := range counts {
				sum[c.Kind] += c.N
			}
			if sum[KindInstall] != int64(seq) || sum[KindUninstall] != int64(len(sizes)) {
				t.Fatalf("counts %v after %d events in %d batches", counts, seq, len(sizes))
			}
		})
	}
}
