package vclock

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestMapping(t *testing.T) {
	wall := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := wall
	c, err := New(1440, wall, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		realElapsed time.Duration
		want        time.Duration
	}{
		{0, 0},
		{time.Second, 24 * time.Minute},
		{60 * time.Second, 24 * time.Hour},
	}
	for _, tt := range tests {
		now = wall.Add(tt.realElapsed)
		if got := c.SinceStart(); got != tt.want {
			t.Errorf("after %v real: virtual %v, want %v", tt.realElapsed, got, tt.want)
		}
		if got := c.WallFor(c.Now()); !got.Equal(now) {
			t.Errorf("WallFor(Now) = %v, want %v", got, now)
		}
		if got := c.WallForOffset(tt.want); !got.Equal(now) {
			t.Errorf("WallForOffset = %v, want %v", got, now)
		}
	}
	if want := time.Date(2030, time.January, 7, 0, 0, 0, 0, time.UTC); !Epoch().Equal(want) || Epoch().Location() != time.UTC {
		t.Errorf("epoch %v, want %v", Epoch(), want)
	}
	if Epoch().Weekday() != time.Monday {
		t.Errorf("epoch is a %v", Epoch().Weekday())
	}
}

func TestBadSpeed(t *testing.T) {
	for _, s := range []float64{0, -1, 1e9} {
		if _, err := New(s, time.Time{}, time.Now); err == nil {
			t.Errorf("speed %v accepted", s)
		}
	}
	if _, err := New(1, time.Time{}, nil); err == nil {
		t.Error("nil real clock accepted")
	}
}

// With synctest's fake time, a timer set for the wall time of a virtual
// instant fires exactly at that virtual instant.
func TestTimerAtVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := New(100, time.Now(), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		target := Epoch().Add(10 * time.Minute)
		time.Sleep(time.Until(c.WallFor(target)))
		if got := c.Now(); !got.Equal(target) {
			t.Fatalf("woke at virtual %v, want %v", got, target)
		}
	})
}

func TestSource(t *testing.T) {
	var s Source
	if !s.Now().Equal(Epoch()) || s.Clock() != nil {
		t.Fatal("unset source is not at the epoch")
	}
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c, _ := New(60, wall, func() time.Time { return wall.Add(time.Second) })
	s.Set(c)
	if got := s.Now(); !got.Equal(Epoch().Add(time.Minute)) {
		t.Fatalf("Now = %v", got)
	}
}
