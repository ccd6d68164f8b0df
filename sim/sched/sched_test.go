package sched

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOrder(t *testing.T) {
	tests := []struct {
		name string
		at   []int64
	}{
		{"empty", nil},
		{"one", []int64{5}},
		{"sorted", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"reversed", []int64{9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"ties", []int64{3, 1, 3, 1, 3, 2, 2}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	var big []int64
	for range 10_000 {
		big = append(big, r.Int64N(1000))
	}
	tests = append(tests, struct {
		name string
		at   []int64
	}{"random", big})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewQueue(0)
			for i, at := range tt.at {
				q.Push(Event{At: at, Device: uint32(i)})
			}
			if q.Len() != len(tt.at) {
				t.Fatalf("Len %d, want %d", q.Len(), len(tt.at))
			}
			var got []Event
			for {
				p, okp := q.Peek()
				e, ok := q.Pop()
				if ok != okp || p != e {
					t.Fatalf("Peek %v/%v differs from Pop %v/%v", p, okp, e, ok)
				}
				if !ok {
					break
				}
				got = append(got, e)
			}
			// Stable order: by time, then by push order (Device = index).
			want := make([]Event, len(tt.at))
			for i, at := range tt.at {
				want[i] = Event{At: at, Device: uint32(i)}
			}
			slices.SortStableFunc(want, func(a, b Event) int {
				switch {
				case a.At < b.At:
					return -1
				case a.At > b.At:
					return 1
				}
				return 0
			})
			if !slices.Equal(got, want) {
				t.Fatalf("order differs")
			}
		})
	}
}

func BenchmarkPushPop(b *testing.B) {
	q := NewQueue(1 << 16)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1 << 16 {
		q.Push(Event{At: r.Int64N(1 << 30), Device: uint32(i)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, _ := q.Pop()
		e.At += r.Int64N(1 << 20)
		q.Push(e)
	}
}

// Due counts the events at or before a time, as a scan of every event
// would.
func TestDue(t *testing.T) {
	q := NewQueue(0)
	rng := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		q.Push(Event{At: rng.Int64N(10_000)})
		if rng.IntN(4) == 0 {
			q.Pop()
		}
	}
	for _, at := range []int64{-1, 0, 17, 2500, 9999, 20_000} {
		want := 0
		for _, it := range q.items {
			if it.At <= at {
				want++
			}
		}
		if got := q.Due(at); got != want {
			t.Errorf("Due(%d) = %d, want %d", at, got, want)
		}
	}
}
