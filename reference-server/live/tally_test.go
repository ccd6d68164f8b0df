package live

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTallyTouchPersists(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := newTally(0)
	steps := []struct {
		name    string
		st      DeviceState
		persist bool
	}{
		{"first check", DeviceState{Version: "1.0.0", Seen: t0}, true},
		{"same state a minute later", DeviceState{Version: "1.0.0", Seen: t0.Add(time.Minute)}, false},
		{"new version", DeviceState{Version: "1.1.0", Seen: t0.Add(2 * time.Minute)}, true},
		{"same, under persistEvery", DeviceState{Version: "1.1.0", Seen: t0.Add(2*time.Minute + persistEvery - time.Second)}, false},
		{"same, persistEvery after the last write", DeviceState{Version: "1.1.0", Seen: t0.Add(2*time.Minute + persistEvery)}, true},
		{"new platform", DeviceState{Version: "1.1.0", Platform: "ios", Seen: t0.Add(2*time.Minute + persistEvery)}, true},
	}
	for _, s := range steps {
		if got := tl.devices.touch("a.b", "d", s.st); got != s.persist {
			t.Errorf("%s: persist = %v, want %v", s.name, got, s.persist)
		}
		if got, _ := tl.devices.device("a.b", "d"); !got.Seen.Equal(s.st.Seen) {
			t.Errorf("%s: last seen %v not recorded", s.name, got.Seen)
		}
	}
}

func TestDevicesBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var d devices
	d.init(64) // one device a shard
	for i := range 1000 {
		d.touch("a.b", fmt.Sprint("dev-", i), DeviceState{Version: "1.0.0", Seen: t0})
	}
	if n := d.count(); n > 64 {
		t.Fatalf("%d devices kept, the bound is 64", n)
	}
	kept, untracked := d.count(), d.untracked.Load()
	if untracked == 0 || int64(kept)+untracked != 1000 {
		t.Fatalf("kept %d, untracked %d of 1000", kept, untracked)
	}
	// A day later, new devices take the place of those gone quiet.
	later := t0.Add(ActiveWindow + time.Minute)
	for i := range 5000 {
		d.touch("a.b", fmt.Sprint("new-", i), DeviceState{Version: "1.1.0", Seen: later})
	}
	if n := d.count(); n > 64 || d.active("a.b", later)["1.1.0"] != n || n == 0 {
		t.Fatalf("%d kept, %v active", n, d.active("a.b", later))
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", MaxStoredText) // 2 bytes each
	if got := clip(long); len(got) > MaxStoredText || !utf8.ValidString(got) || !strings.HasPrefix(long, got) {
		t.Fatalf("clip: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if clip("1.0.0") != "1.0.0" {
		t.Fatal("a short text changed")
	}
}
