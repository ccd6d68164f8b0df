package refserver

import (
	"testing"
	"time"
)

func TestTallyTouchPersists(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := newTally()
	steps := []struct {
		name    string
		st      deviceState
		persist bool
	}{
		{"first check", deviceState{version: "1.0.0", seen: t0}, true},
		{"same state a minute later", deviceState{version: "1.0.0", seen: t0.Add(time.Minute)}, false},
		{"new version", deviceState{version: "1.1.0", seen: t0.Add(2 * time.Minute)}, true},
		{"same, under persistEvery", deviceState{version: "1.1.0", seen: t0.Add(2*time.Minute + persistEvery - time.Second)}, false},
		{"same, persistEvery after the last write", deviceState{version: "1.1.0", seen: t0.Add(2*time.Minute + persistEvery)}, true},
		{"new platform", deviceState{version: "1.1.0", platform: "ios", seen: t0.Add(2*time.Minute + persistEvery)}, true},
	}
	for _, s := range steps {
		if got := tl.touch("a.b", "d", s.st); got != s.persist {
			t.Errorf("%s: persist = %v, want %v", s.name, got, s.persist)
		}
		if got, _ := tl.device("a.b", "d"); !got.seen.Equal(s.st.seen) {
			t.Errorf("%s: last seen %v not recorded", s.name, got.seen)
		}
	}
}
