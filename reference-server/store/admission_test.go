package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/otasim/otasim/reference-server/internal/servertest"
)

func ev(device string, ts int64, action string) Event {
	e := Event{AppID: "a.b", DeviceID: device, Action: action, VersionName: "1.1.0", Timestamp: ts, ReceivedAt: t0}
	if action == "set" {
		e.Counts = []CountDelta{{AppID: "a.b", Bundle: "1.1.0", Kind: KindInstall, N: 1}}
	}
	return e
}

func installs(t *testing.T, s *Store) int64 {
	t.Helper()
	counts, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c.N
	}
	return n
}

func stored(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	if err := s.Events(context.Background(), "a.b", time.Time{}, func(Event) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRetriedEventsStoredOnce: a batch posted again (the plugin's retry
// after a timeout) is acknowledged and neither stored nor counted twice,
// across a restart too; copies within one batch count once; an event
// without a timestamp is never taken for a retry.
func TestRetriedEventsStoredOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	batch := []Event{ev("d1", 100, "set"), ev("d1", 101, "app_moved_to_foreground"), ev("d2", 100, "set")}
	steps := []struct {
		name     string
		events   []Event
		dup      []bool
		stored   int
		installs int64
	}{
		{"first post", batch, nil, 3, 2},
		{"the same batch again", batch, []bool{true, true, true}, 3, 2},
		{"a batch with one new event", append(slices.Clone(batch[:1]), ev("d1", 102, "set")), []bool{true, false}, 4, 3},
		{"copies in one batch", []Event{ev("d3", 7, "set"), ev("d3", 7, "set")}, []bool{false, true}, 5, 4},
		{"another metadata is another event", []Event{func() Event { e := ev("d3", 7, "set"); e.Metadata = map[string]string{"k": "v"}; return e }()}, nil, 6, 5},
		{"no timestamp", []Event{ev("d4", 0, "set"), ev("d4", 0, "set")}, nil, 8, 7},
	}
	for _, st := range steps {
		dup, err := s.WriteEvents(ctx, st.events)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !slices.Equal(dup, st.dup) {
			t.Fatalf("%s: dup %v, want %v", st.name, dup, st.dup)
		}
		if n, i := stored(t, s), installs(t, s); n != st.stored || i != st.installs {
			t.Fatalf("%s: %d stored, %d installs; want %d, %d", st.name, n, i, st.stored, st.installs)
		}
	}
	if got := s.Stats().Retries; got != 5 {
		t.Fatalf("%d retries counted, want 5", got)
	}
	s.Close()
	s = open(t, path)
	if dup, err := s.WriteEvents(ctx, batch); err != nil || !slices.Equal(dup, []bool{true, true, true}) {
		t.Fatalf("after a restart: dup %v, %v", dup, err)
	}
	if n := stored(t, s); n != 8 {
		t.Fatalf("%d stored after a restart, want 8", n)
	}
}

// TestRetryWindow: an event is remembered for at least half the window
// (of received times) and forgotten after it; past DedupMax the window is
// cut, and counted.
func TestRetryWindow(t *testing.T) {
	ctx := context.Background()
	s, err := OpenConfig(ctx, Config{Path: filepath.Join(t.TempDir(), "x.db"), DedupWindow: time.Hour, DedupMax: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := func(e Event, d time.Duration) Event { e.ReceivedAt = t0.Add(d); return e }
	write := func(e Event) bool {
		dup, err := s.WriteEvents(ctx, []Event{e})
		if err != nil {
			t.Fatal(err)
		}
		return dup != nil
	}
	first := ev("d1", 1, "set")
	write(at(first, 0))
	if !write(at(first, 29*time.Minute)) {
		t.Fatal("a retry within half the window was stored again")
	}
	write(at(ev("d9", 1, "set"), 31*time.Minute)) // rotates
	write(at(ev("d9", 2, "set"), 62*time.Minute)) // rotates again: first is forgotten
	if write(at(first, 63*time.Minute)) {
		t.Fatal("an event older than the window is still remembered")
	}
	for i := range 20 {
		write(at(ev("many", int64(100+i), "set"), 63*time.Minute))
	}
	if s.Stats().WindowCuts == 0 {
		t.Fatal("the count bound never cut the window")
	}
}

// TestWriterQueueBounded: past MaxPending events waiting, a call is
// refused at once with ErrBusy, and nothing of it is stored; a call
// larger than the bound is let in when nothing waits.
func TestWriterQueueBounded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := OpenConfig(ctx, Config{Path: path, MaxPending: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := make([]Event, 12)
	for i := range big {
		big[i] = ev("d1", int64(i+1), "set")
	}
	unlock := servertest.LockDB(t, path)
	done := make(chan error, 1)
	go func() { _, err := s.WriteEvents(ctx, big); done <- err }()
	for s.Pending() == 0 {
		time.Sleep(time.Millisecond) // until the call is queued; bounded by the test's timeout
	}
	if _, err := s.WriteEvents(ctx, []Event{ev("d2", 1, "set")}); !errors.Is(err, ErrBusy) {
		t.Fatalf("a call past the bound: %v, want ErrBusy", err)
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("the call larger than the bound, alone: %v", err)
	}
	if n, p := stored(t, s), s.Pending(); n != 12 || p != 0 {
		t.Fatalf("%d stored, %d pending; want 12, 0", n, p)
	}
}

// TestWriterFailing: once a commit failed, one call at a time is let
// through to find out whether storage works again; the others are
// refused at once with ErrFailing.
func TestWriterFailing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	if _, err := s.db.ExecContext(ctx, `ALTER TABLE stats_events RENAME TO gone`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteEvents(ctx, []Event{ev("d1", 1, "set")}); err == nil || !s.Failing() {
		t.Fatalf("a failing commit: %v, failing %v", err, s.Failing())
	}
	if _, err := s.db.ExecContext(ctx, `ALTER TABLE gone RENAME TO stats_events`); err != nil {
		t.Fatal(err)
	}
	unlock := servertest.LockDB(t, path)
	probe := make(chan error, 1)
	go func() { _, err := s.WriteEvents(ctx, []Event{ev("d1", 2, "set")}); probe <- err }()
	for !s.probing.Load() {
		time.Sleep(time.Millisecond)
	}
	if _, err := s.WriteEvents(ctx, []Event{ev("d1", 3, "set")}); !errors.Is(err, ErrFailing) {
		t.Fatalf("while the probe is out: %v, want ErrFailing", err)
	}
	unlock()
	if err := <-probe; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if s.Failing() {
		t.Fatal("still failing after a commit succeeded")
	}
	if _, err := s.WriteEvents(ctx, []Event{ev("d1", 4, "set")}); err != nil {
		t.Fatal(err)
	}
	if n := stored(t, s); n != 2 {
		t.Fatalf("%d stored, want 2 (the probe and the last)", n)
	}
}
