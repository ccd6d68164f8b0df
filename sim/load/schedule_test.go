package load

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// perSecond counts the schedule's requests in each second, from At.
func countPerSecond(t *testing.T, s *Schedule) []int64 {
	t.Helper()
	secs := int((s.Len() + time.Second - 1) / time.Second)
	out := make([]int64, secs)
	prev := time.Duration(-1)
	for n := int64(0); ; n++ {
		d, ok := s.At(n)
		if !ok {
			if n != s.Count() {
				t.Fatalf("At(%d) not ok but Count() = %d", n, s.Count())
			}
			return out
		}
		if d < prev {
			t.Fatalf("At(%d) = %v before At(%d) = %v", n, d, n-1, prev)
		}
		if d >= s.Len() {
			t.Fatalf("At(%d) = %v, past the end %v", n, d, s.Len())
		}
		prev = d
		out[d/time.Second]++
	}
}

func TestSchedulePerSecond(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name   string
		start  float64
		stages []Stage
		want   []int64
	}{
		{"constant 100/s", 100, []Stage{{100, 5 * sec}}, []int64{100, 100, 100, 100, 100}},
		{"constant 0.5/s", 0.5, []Stage{{0.5, 4 * sec}}, []int64{1, 0, 1, 0}},
		// N(t) = 5t²: second k holds 5(2k+1).
		{"ramp 0 to 100 over 10 s", 0, []Stage{{100, 10 * sec}}, []int64{5, 15, 25, 35, 45, 55, 65, 75, 85, 95}},
		{"ramp down 100 to 0", 100, []Stage{{0, 10 * sec}}, []int64{95, 85, 75, 65, 55, 45, 35, 25, 15, 5}},
		{"up, hold, down", 0, []Stage{{40, 2 * sec}, {40, 2 * sec}, {0, 2 * sec}}, []int64{10, 30, 40, 40, 30, 10}},
		{"idle stage first", 0, []Stage{{0, 2 * sec}, {10, 0}, {10, 2 * sec}}, nil}, // invalid: zero duration
		{"idle then constant", 0, []Stage{{0, 2 * sec}, {20, 1 * sec}, {20, 2 * sec}}, []int64{0, 0, 10, 20, 20}},
		{"step up", 10, []Stage{{10, sec}, {30, 0}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Ramping(tt.start, tt.stages)
			if tt.want == nil {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := countPerSecond(t, s)
			if !slices.Equal(got, tt.want) {
				t.Errorf("per second = %v, want %v", got, tt.want)
			}
			var sum int64
			for i, n := range tt.want {
				sum += n
				if d := s.DueBy(time.Duration(i+1) * time.Second); d != sum {
					t.Errorf("DueBy(%ds) = %d, want %d", i+1, d, sum)
				}
			}
			if s.Count() != sum {
				t.Errorf("Count() = %d, want %d", s.Count(), sum)
			}
		})
	}
}

func TestScheduleStageBoundaries(t *testing.T) {
	// 0→100 over 10 s holds 500 requests, 100 for 5 s another 500: request
	// 500 opens the second stage, 1000 the third.
	s, err := Ramping(0, []Stage{{100, 10 * time.Second}, {100, 5 * time.Second}, {0, 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		n    int64
		want time.Duration
	}{
		{0, 0}, {5, time.Second}, {500, 10 * time.Second}, {501, 10*time.Second + 10*time.Millisecond},
		{1000, 15 * time.Second},
	} {
		got, ok := s.At(c.n)
		if !ok || (got-c.want).Abs() > time.Microsecond {
			t.Errorf("At(%d) = %v, %v; want %v", c.n, got, ok, c.want)
		}
	}
	if s.Count() != 1500 {
		t.Errorf("Count = %d, want 1500", s.Count())
	}
	// The last request: 1000 + 100x − 5x² = 1499 → x = 10 − √0.2.
	got, _ := s.At(1499)
	x := 10 - math.Sqrt(0.2)
	want := 15*time.Second + time.Duration(x*float64(time.Second))
	if (got - want).Abs() > time.Microsecond {
		t.Errorf("At(1499) = %v, want %v", got, want)
	}
	if _, ok := s.At(1500); ok {
		t.Error("At(1500) is past the schedule")
	}
	if s.Peak() != 100 {
		t.Errorf("Peak = %v", s.Peak())
	}
}

func TestScheduleValidation(t *testing.T) {
	_, err := Ramping(-1, []Stage{{-5, 0}, {2e6, time.Second}})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"start rate -1", "stage 1: target -5", "stage 1: duration 0s", "stage 2: target 2e+06"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := Ramping(0, nil); err == nil || !strings.Contains(err.Error(), "no stages") {
		t.Errorf("no stages: %v", err)
	}
}

func FuzzSchedule(f *testing.F) {
	f.Add(0.0, 100.0, int64(time.Second), 0.0, int64(time.Second))
	f.Add(1000.0, 1000.0, int64(3*time.Second), 5.0, int64(time.Millisecond))
	f.Add(0.001, 0.0, int64(time.Hour), 1e6, int64(time.Microsecond))
	f.Fuzz(func(t *testing.T, start, t1 float64, d1 int64, t2 float64, d2 int64) {
		s, err := Ramping(start, []Stage{{t1, time.Duration(d1)}, {t2, time.Duration(d2)}})
		if err != nil {
			return
		}
		if s.Count() > 200_000 {
			t.Skip("too many requests to walk")
		}
		prev := time.Duration(0)
		for n := range s.Count() {
			d, ok := s.At(n)
			if !ok || d < prev || d >= s.Len() {
				t.Fatalf("At(%d) = %v, %v (previous %v, length %v)", n, d, ok, prev, s.Len())
			}
			prev = d
		}
		if got := s.DueBy(s.Len()); got != s.Count() {
			t.Fatalf("DueBy(end) = %d, Count = %d", got, s.Count())
		}
	})
}
