package sim

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// The slab against a map of the same records, under random adds, updates
// and removes: every device finds its own record, a removed record comes
// back cleared, pointers stay valid while records come and go.
func TestSlabAgainstMap(t *testing.T) {
	type rec struct {
		dev  uint32
		vals []int
	}
	const n = 5000
	s := newSlab(n, func(r *rec) { r.dev, r.vals = 0, r.vals[:0] })
	want := map[uint32][]int{}
	held := map[uint32]*rec{}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 200_000 {
		dev := uint32(rng.IntN(n))
		switch op := rng.IntN(3); {
		case op < 2:
			r := s.add(dev)
			if _, ok := want[dev]; !ok {
				if r.dev != 0 || len(r.vals) != 0 {
					t.Fatalf("step %d: a fresh record for %d holds %+v", step, dev, *r)
				}
				held[dev] = r
			}
			if held[dev] != r {
				t.Fatalf("step %d: device %d's record moved", step, dev)
			}
			r.dev = dev
			r.vals = append(r.vals, step)
			want[dev] = append(want[dev], step)
		default:
			s.remove(dev)
			delete(want, dev)
			delete(held, dev)
		}
		if step%10_000 == 0 || step == 199_999 {
			if s.len() != len(want) {
				t.Fatalf("step %d: %d records, want %d", step, s.len(), len(want))
			}
			for d := range uint32(n) {
				r, w := s.get(d), want[d]
				if (r == nil) != (w == nil) {
					t.Fatalf("step %d: device %d: record %v, want %v", step, d, r, w)
				}
				if r != nil && (r.dev != d || len(r.vals) != len(w) || r.vals[len(w)-1] != w[len(w)-1]) {
					t.Fatalf("step %d: device %d holds %+v, want %v", step, d, *r, w)
				}
			}
		}
	}
}

// Records are reused: a steady number of devices with a record needs no
// more chunks however many come and go.
func TestSlabReuses(t *testing.T) {
	s := newSlab[int64](100_000, nil)
	for dev := range uint32(100_000) {
		*s.add(dev) = int64(dev)
		if dev >= 500 {
			s.remove(dev - 500)
		}
	}
	if len(s.chunks) != 1 || s.len() != 500 {
		t.Errorf("%d chunks for %d records, want 1 chunk", len(s.chunks), s.len())
	}
	if got, want := s.bytes(unsafe.Sizeof(int64(0))), int64(100_000*4+slabChunk*8+cap(s.free)*4); got != want {
		t.Errorf("bytes %d, want %d", got, want)
	}
}

// BenchmarkSlab is a device's side record taken, used and given back,
// over a million devices with ten thousand records live.
func BenchmarkSlab(b *testing.B) {
	const n = 1_000_000
	s := newSlab[side](n, func(r *side) { *r = side{} })
	for dev := range uint32(10_000) {
		s.add(dev).busy = 1
	}
	b.ReportAllocs()
	dev := uint32(10_000)
	for b.Loop() {
		s.add(dev).busy++
		s.get(dev).modelledUntil = int64(dev)
		s.remove(dev - 10_000)
		dev = (dev + 1) % n
		if dev < 10_000 {
			dev = 10_000
		}
	}
}
