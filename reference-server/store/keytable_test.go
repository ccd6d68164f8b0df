package store

import (
	"math/rand/v2"
	"testing"
)

// TestKeyTable: the table answers as a Go map of the same keys through
// its growth from empty to a quarter million keys, and again after a
// reset that keeps its array; keys that share a probe's start (the same
// top bits) are told apart.
func TestKeyTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var kt keyTable
	for round := range 2 {
		want := map[uint64]bool{}
		for i := range 250_000 {
			k := rng.Uint64() | 1
			if i%1000 == 0 {
				k = 1<<63 | uint64(i)<<1 | 1 // crowd one stretch of slots
			}
			if i%3 == 0 {
				kt.add(k)
				want[k] = true
			}
			if kt.has(k) != want[k] {
				t.Fatalf("round %d, key %d: has %v, want %v", round, i, kt.has(k), want[k])
			}
		}
		if kt.n != len(want) {
			t.Fatalf("round %d: %d keys, want %d", round, kt.n, len(want))
		}
		for k := range want {
			kt.add(k) // again: no second copy
			if !kt.has(k) {
				t.Fatalf("round %d: lost key %x", round, k)
			}
		}
		if kt.n != len(want) || 2*kt.n > len(kt.slots) {
			t.Fatalf("round %d: %d keys in %d slots, want %d at most half full", round, kt.n, len(kt.slots), len(want))
		}
		size := len(kt.slots)
		kt.reset()
		if kt.n != 0 || len(kt.slots) != size || kt.has(rng.Uint64()|1) {
			t.Fatalf("round %d: after reset %d keys, %d slots (want 0, %d)", round, kt.n, len(kt.slots), size)
		}
	}
	var empty keyTable
	if empty.has(3) {
		t.Fatal("an empty table has a key")
	}
}

// BenchmarkKeyTable is the writer's use of its retry memory for a new
// event, a quarter million keys already in each generation: two misses
// and an add. The map variant is what it replaced.
func BenchmarkKeyTable(b *testing.B) {
	const n = 250_000
	b.Run("table", func(b *testing.B) {
		var cur, prev keyTable
		for i := range uint64(n) {
			cur.add(hashKey(i))
			prev.add(hashKey(i + n))
		}
		i := uint64(2 * n)
		for b.Loop() {
			k := hashKey(i)
			if !cur.has(k) && !prev.has(k) {
				cur.add(k)
			}
			i++
			if cur.n >= 2*n {
				cur.reset()
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		cur, prev := map[uint64]struct{}{}, map[uint64]struct{}{}
		for i := range uint64(n) {
			cur[hashKey(i)] = struct{}{}
			prev[hashKey(i+n)] = struct{}{}
		}
		i := uint64(2 * n)
		for b.Loop() {
			k := hashKey(i)
			_, a := cur[k]
			_, c := prev[k]
			if !a && !c {
				cur[k] = struct{}{}
			}
			i++
			if len(cur) >= 2*n {
				cur = make(map[uint64]struct{}, len(cur))
			}
		}
	})
}

// hashKey spreads i over 64 bits as the retry keys' hash does.
func hashKey(i uint64) uint64 {
	i ^= i >> 33
	i *= 0xff51afd7ed558ccd
	i ^= i >> 33
	return i | 1
}
