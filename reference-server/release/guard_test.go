package release

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestWilsonLower(t *testing.T) {
	tests := []struct {
		k, n int
		want float64
	}{
		{0, 0, 0},
		{0, 10, 0},
		{5, 10, 0.2366},   // p = 0.5, n = 10
		{20, 100, 0.1333}, // p = 0.2, n = 100
		{10, 10, 0.7225},
	}
	for _, tt := range tests {
		if got := WilsonLower(tt.k, tt.n, WilsonZ); math.Abs(got-tt.want) > 0.0005 {
			t.Errorf("WilsonLower(%d, %d) = %.4f, want %.4f", tt.k, tt.n, got, tt.want)
		}
	}
}

func TestGuardEvaluate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := GuardConfig{Enabled: true, WindowS: 3600, Threshold: 0.2, MinAttempts: 50, CooldownS: 1800, Action: GuardRollback}
	fill := func(installs, failures int, at time.Time) *Window {
		w := &Window{}
		for range installs {
			w.Add(at, false)
		}
		for range failures {
			w.Add(at, true)
		}
		return w
	}
	tests := []struct {
		name     string
		cfg      func(GuardConfig) GuardConfig
		w        *Window
		now      time.Time
		lastTrip time.Time
		want     bool
	}{
		{"high failure rate trips", nil, fill(40, 60, t0), t0, time.Time{}, true},
		{"below min attempts", nil, fill(10, 30, t0), t0, time.Time{}, false},
		{"low failure rate", nil, fill(95, 5, t0), t0, time.Time{}, false},
		{"disabled", func(c GuardConfig) GuardConfig { c.Enabled = false; return c }, fill(40, 60, t0), t0, time.Time{}, false},
		{"events out of the window", nil, fill(40, 60, t0), t0.Add(61 * time.Minute), time.Time{}, false},
		{"in cooldown", nil, fill(40, 60, t0), t0, t0.Add(-10 * time.Minute), false},
		{"cooldown over", nil, fill(40, 60, t0), t0, t0.Add(-31 * time.Minute), true},
		{"rate at threshold but lower bound under", nil, fill(80, 20, t0), t0, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			if tt.cfg != nil {
				c = tt.cfg(c)
			}
			v := c.Evaluate(tt.w, tt.now, tt.lastTrip)
			if v.Trip != tt.want {
				t.Errorf("trip = %v, want %v (verdict %+v)", v.Trip, tt.want, v)
			}
			if v.Trip && !strings.Contains(v.Reason, "wilson") {
				t.Errorf("reason %q does not say why", v.Reason)
			}
		})
	}
}

func TestWindowSlides(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var w Window
	for i := range 120 {
		w.Add(t0.Add(time.Duration(i)*time.Minute), i%2 == 0)
	}
	inst, fail := w.Counts(t0.Add(119*time.Minute), time.Hour)
	if inst+fail != 61 || inst != 31 || fail != 30 {
		t.Errorf("counts = %d installs, %d failures; want 31, 30", inst, fail)
	}
}

func TestGuardValidate(t *testing.T) {
	err := GuardConfig{WindowS: 0, Threshold: 2, MinAttempts: 0, CooldownS: -1, Action: "explode"}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"window_s", "threshold", "min_attempts", "cooldown_s", "action"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if err := DefaultGuard().Validate(); err != nil {
		t.Errorf("default guard invalid: %v", err)
	}
}
