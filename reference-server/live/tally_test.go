package live

import (
	"testing"
	"time"
)

func TestTallyTouchPersists(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := newTally()
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
		if got := tl.touch("a.b", "d", s.st); got != s.persist {
			t.Errorf("%s: persist = %v, want %v", s.name, got, s.persist)
		}
		if got, _ := tl.device("a.b", "d"); !got.Seen.Equal(s.st.Seen) {
			t.Errorf("%s: last seen %v not recorded", s.name, got.Seen)
		}
	}
}
