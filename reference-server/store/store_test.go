package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/otasim/otasim/reference-server/release"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestMigrationsOnceAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	for range 2 {
		s := open(t, path)
		v, err := s.SchemaVersion(context.Background())
		if err != nil || v != len(migrations) {
			t.Fatalf("schema version = %d, %v; want %d", v, err, len(migrations))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReleaseStateRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	app := &release.App{ID: "com.example.app", CreatedAt: t0}
	if err := s.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateApp(ctx, app); !errors.Is(err, ErrExists) {
		t.Fatalf("second CreateApp = %v, want ErrExists", err)
	}
	b := &release.Bundle{AppID: app.ID, Name: "1.1.0", Size: 10, SHA256: "ab", MinNative: "1.0.0", Path: "/p", CreatedAt: t0}
	if err := s.CreateBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBundle(ctx, b); !errors.Is(err, ErrExists) {
		t.Fatalf("second CreateBundle = %v, want ErrExists", err)
	}
	pol := release.DefaultPolicy()
	pol.Public, pol.DisableAutoUpdate = true, release.DisableMinor
	c := &release.Channel{AppID: app.ID, Name: "production", Policy: pol, Bundle: "1.1.0", Guard: release.DefaultGuard(), CreatedAt: t0}
	if err := s.CreateChannel(ctx, c, release.HistoryEntry{At: t0, Event: "channel_create", Bundle: "1.1.0"}); err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 {
		t.Fatal("channel id not set")
	}
	c.Rollout = &release.Rollout{Bundle: "1.2.0", PercentBP: 1000, State: release.RolloutRunning, StartedAt: t0, UpdatedAt: t0}
	c.Guard.Enabled = true
	c.LastTrip = t0.Add(time.Minute)
	if err := s.UpdateChannel(ctx, c, release.HistoryEntry{At: t0, Event: "rollout_start", Bundle: "1.2.0", PercentBP: 1000}); err != nil {
		t.Fatal(err)
	}
	if c.Rollout.ID == 0 {
		t.Fatal("rollout id not set")
	}
	c.Rollout.PercentBP, c.Rollout.State = 5000, release.RolloutPaused
	if err := s.UpdateChannel(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOverride(ctx, app.ID, "dev-1", c.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOverride(ctx, app.ID, "dev-2", c.ID); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.DeleteOverride(ctx, app.ID, "dev-2"); !ok || err != nil {
		t.Fatalf("DeleteOverride = %v, %v", ok, err)
	}
	if ok, _ := s.DeleteOverride(ctx, app.ID, "dev-2"); ok {
		t.Fatal("deleted twice")
	}
	s.Close()

	s = open(t, path)
	snap, ovs, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := snap.Apps[app.ID]
	if got == nil || got.Bundles["1.1.0"] == nil || !reflect.DeepEqual(got.Bundles["1.1.0"], b) {
		t.Fatalf("bundle not restored: %+v", got)
	}
	gc := got.Channel("production")
	if gc == nil || gc.Policy != pol || !gc.Guard.Enabled || !gc.LastTrip.Equal(c.LastTrip) {
		t.Fatalf("channel not restored: %+v", gc)
	}
	if r := gc.Rollout; r == nil || r.PercentBP != 5000 || r.State != release.RolloutPaused || r.ID != c.Rollout.ID {
		t.Fatalf("rollout not restored: %+v", gc.Rollout)
	}
	if len(ovs) != 1 || ovs[0] != (Override{AppID: app.ID, DeviceID: "dev-1", Channel: "production"}) {
		t.Fatalf("overrides = %+v", ovs)
	}
	h, err := s.History(ctx, c.ID)
	if err != nil || len(h) != 2 || h[1].Event != "rollout_start" || !h[0].At.Equal(t0) {
		t.Fatalf("history = %+v, %v", h, err)
	}
}

func TestWriteEventsConcurrentThenReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	const writers, perWriter = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				ev := []Event{{AppID: "a.b", DeviceID: fmt.Sprintf("d%d", w), Action: "set", VersionName: "1.1.0",
					Timestamp: int64(i), ReceivedAt: t0, VersionBuild: "1.0.0", Metadata: map[string]string{"i": fmt.Sprint(i)},
					Counts: []CountDelta{{AppID: "a.b", Bundle: "1.1.0", Kind: KindInstall, N: 1}}}}
				_, err := s.WriteEvents(ctx, ev)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s.TouchDevice(Device{AppID: "a.b", DeviceID: "d1", Platform: "ios", VersionName: "1.1.0", VersionBuild: "1.0.0", LastSeen: t0})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteEvents(ctx, []Event{{AppID: "a.b"}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close = %v, want ErrClosed", err)
	}

	s = open(t, path)
	n := 0
	err := s.Events(ctx, "a.b", time.Time{}, func(e Event) error {
		if e.Metadata["i"] == "" || !e.ReceivedAt.Equal(t0) || e.VersionBuild != "1.0.0" {
			return fmt.Errorf("event %+v lost fields", e)
		}
		n++
		return nil
	})
	if err != nil || n != writers*perWriter {
		t.Fatalf("events = %d, %v; want %d", n, err, writers*perWriter)
	}
	counts, err := s.Counts(ctx)
	if err != nil || len(counts) != 1 || counts[0].N != writers*perWriter {
		t.Fatalf("counts = %+v, %v", counts, err)
	}
	var devs []Device
	if err := s.Devices(ctx, t0.Add(-time.Hour), func(d Device) { devs = append(devs, d) }); err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 || devs[0].VersionName != "1.1.0" || !devs[0].LastSeen.Equal(t0) {
		t.Fatalf("devices = %+v", devs)
	}
}

func TestWriteEventsContextCancelled(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "x.db"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.WriteEvents(ctx, []Event{{AppID: "a.b"}}); err == nil {
		// Either outcome of the race between a ready queue and a done
		// context is allowed, but a nil error must mean a committed event.
		n := 0
		s.Events(context.Background(), "a.b", time.Time{}, func(Event) error { n++; return nil })
		if n != 1 {
			t.Fatalf("nil error but %d events stored", n)
		}
	}
}

// TestTouchWhileCommitting races device touches against stats commits
// (run with -race).
func TestTouchWhileCommitting(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "x.db"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			s.TouchDevice(Device{AppID: "a.b", DeviceID: fmt.Sprint("d", i%50), LastSeen: t0})
		}
	}()
	for range 50 {
		if _, err := s.WriteEvents(context.Background(), []Event{{AppID: "a.b", Action: "set"}}); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, filepath.Join(filepath.Dir(s.dir), "x.db"))
	n := 0
	s.Devices(context.Background(), time.Time{}, func(Device) { n++ })
	if n != 50 {
		t.Fatalf("%d devices stored, want 50", n)
	}
}
