package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"testing/synctest"
	"time"
)

// TestWriteEventsMultiRow writes batches whose sizes cross the multi-row
// INSERT chunks (64, 32, ..., 1) in one group commit and reads every event
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
				counted := append([]Event{}, evs...)
				counted[0].Counts = []CountDelta{{AppID: "a.b", Bundle: "1.1.0", Kind: KindInstall, N: int64(n)},
					{AppID: "a.b", Bundle: "1.0.0", Kind: KindUninstall, N: 1}}
				go func() {
					_, err := s.WriteEvents(ctx, counted)
					errs <- err
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

func TestGroupWait(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		since time.Duration
		lastN int
		want  time.Duration
	}{
		{0, 0, 0},                              // the first group
		{0, 1, 0},                              // a lone caller never waits
		{ms, 1, 0},                             //
		{ms, 2, groupWindow - ms},              // busy: the rest of the window
		{0, 50, groupWindow},                   //
		{groupWindow, 50, 0},                   // the window is over
		{groupWindow + ms, 2, 0},               //
		{groupWindow - 1, 3, time.Duration(1)}, //
	} {
		if got := groupWait(c.since, c.lastN); got != c.want {
			t.Errorf("groupWait(%v, %d) = %v, want %v", c.since, c.lastN, got, c.want)
		}
	}
}

// TestGatherFor: a group waiting out its window takes what was queued and
// what comes within the window, and leaves what comes after it; the
// clock is synctest's, so the wait is exact.
func TestGatherFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Store{reqs: make(chan writeReq, 16), stop: make(chan struct{})}
		req := func() writeReq { return writeReq{events: make([]Event, 2)} }
		s.reqs <- req()
		s.reqs <- req()
		go func() {
			time.Sleep(groupWindow / 2)
			s.reqs <- req()
			time.Sleep(groupWindow)
			s.reqs <- req() // after the window: the next group's
		}()
		window := time.NewTimer(time.Hour)
		window.Stop()
		start := time.Now()
		got := s.gatherFor([]writeReq{req()}, window, groupWindow)
		if len(got) != 4 {
			t.Errorf("gathered %d requests, want 4 (1 + 2 queued + 1 within the window)", len(got))
		}
		if waited := time.Since(start); waited != groupWindow {
			t.Errorf("waited %v, want %v", waited, groupWindow)
		}
		time.Sleep(groupWindow) // the last send
		if len(s.reqs) != 1 {
			t.Errorf("%d requests left queued, want 1", len(s.reqs))
		}
	})
}

// TestWriterAlone: a lone caller's writes are committed one by one, at
// once (synctest's clock shows no wait).
func TestWriterAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := open(t, filepath.Join(t.TempDir(), "x.db"))
		start := time.Now()
		for i := range 5 {
			ev := []Event{{AppID: "a.b", DeviceID: fmt.Sprint("d", i), Action: "set", VersionName: "1.1.0", Timestamp: int64(i)}}
			if _, err := s.WriteEvents(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("a lone caller waited %v for 5 writes, want 0", waited)
		}
		if c, p := s.commits.Load(), s.posts.Load(); c != 5 || p != 5 {
			t.Errorf("%d commits of %d posts, want 5 of 5", c, p)
		}
	})
}

// TestDevicesMultiRow: pending devices of one commit cross the multi-row
// upsert's chunks (64, 32, ..., 1); a later commit updates the rows it
// touches and leaves the others.
func TestDevicesMultiRow(t *testing.T) {
	for _, n := range []int{1, 5, 64, 85, 150} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.UnixMilli(1_700_000_000_000).UTC()
			want := map[string]Device{}
			touch := func(d Device) { s.TouchDevice(d); want[d.DeviceID] = d }
			for i := range n {
				touch(Device{AppID: "a.b", DeviceID: fmt.Sprint("d", i), Platform: "ios", VersionName: "1.1.0",
					VersionBuild: "1.0.0", LastSeen: t0.Add(time.Duration(i) * time.Second)})
			}
			s.commit(nil)
			for i := 0; i < n; i += 3 {
				touch(Device{AppID: "a.b", DeviceID: fmt.Sprint("d", i), Platform: "android", VersionName: "1.2.0",
					VersionBuild: "2.0.0", LastSeen: t0.Add(time.Hour)})
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = open(t, path)
			got := map[string]Device{}
			if err := s.Devices(context.Background(), time.Time{}, func(d Device) { got[d.DeviceID] = d }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("devices after reopening:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestDevicesWaitForTheTick: a stats commit leaves the pending devices to
// the tick until devicesPerCommit are pending (see devicesPerCommit for
// what a commit carrying devices costs). No writer runs: its own tick
// would take devices between the test's steps.
func TestDevicesWaitForTheTick(t *testing.T) {
	s := &Store{devices: map[deviceKey]Device{}}
	touch := func(n int) {
		for i := range n {
			s.TouchDevice(Device{AppID: "a.b", DeviceID: fmt.Sprint("d", i), LastSeen: t0})
		}
	}
	touch(10)
	if devs := s.takeDevices(false); devs != nil {
		t.Fatalf("a stats commit took %d devices of 10 pending", len(devs))
	}
	if devs := s.takeDevices(true); len(devs) != 10 {
		t.Fatalf("the tick took %d devices, want 10", len(devs))
	}
	if devs := s.takeDevices(true); devs != nil {
		t.Fatalf("the tick took %d devices again", len(devs))
	}
	touch(devicesPerCommit)
	if devs := s.takeDevices(false); len(devs) != devicesPerCommit {
		t.Fatalf("a stats commit took %d devices of %d pending, want all", len(devs), devicesPerCommit)
	}
}

// TestWriterConnAnotherConnection: when database/sql hands the writer
// another connection (it replaced a broken one), the writer's statements
// are prepared again there, and its transactions work on it.
func TestWriterConnAnotherConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	w := &s.wc
	before := w.dc
	ctx := context.Background()
	// Borrow the other database's connection as if database/sql had
	// replaced the writer's. The store's writer does not touch w
	// meanwhile: nothing is queued and no device is pending.
	err = w.inTx(ctx, other, func(tx *writeTx) error {
		return tx.exec(s.addCount, appendValues(nil, "a.b", "1.0.0", KindInstall, int64(2)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.dc == before || len(w.stmts) != len(w.queries) {
		t.Fatalf("statements not prepared again on the other connection (%d of %d)", len(w.stmts), len(w.queries))
	}
	w.close(other) // back to the store's connection at its next commit
	if _, err := s.WriteEvents(ctx, []Event{{AppID: "a.b", Action: "set", Counts: []CountDelta{{AppID: "a.b", Bundle: "1.0.0", Kind: KindInstall, N: 1}}}}); err != nil {
		t.Fatal(err)
	}
	counts, err := s.Counts(ctx)
	if err != nil || len(counts) != 1 || counts[0].N != 3 {
		t.Fatalf("counts = %+v, %v; want one of 3", counts, err)
	}
}
