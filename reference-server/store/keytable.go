package store

import "math/bits"

// keyTable is a set of retry keys (nonzero, uniformly distributed 64-bit
// hashes): open addressing with linear probing in one array, 0 marking a
// free slot, grown to stay at most half full. The stats writer asks it
// about every event it stores, twice (this generation and the previous
// one) and then adds the key: with Go maps of half a million keys, those
// three calls were 17% of the writer's CPU (BenchmarkWriteEventsBatches'
// profile), the one goroutine a busy server's /stats posts all wait for.
// A probe here reads one cache line where a map reads its control word
// and then the slot.
type keyTable struct {
	slots []uint64 // len is a power of two, or 0
	n     int
}

// minKeySlots is the size of a table's first array.
const minKeySlots = 1024

// slot is where k's probe starts: the key's top bits (its lowest bit is
// always set).
func (t *keyTable) slot(k uint64) int {
	return int(k >> (64 - bits.TrailingZeros(uint(len(t.slots)))))
}

func (t *keyTable) has(k uint64) bool {
	if len(t.slots) == 0 {
		return false
	}
	mask := len(t.slots) - 1
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.slots[i] {
		case k:
			return true
		case 0:
			return false
		}
	}
}

// add puts k in the set.
func (t *keyTable) add(k uint64) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.slots[i] {
		case k:
			return
		case 0:
			t.slots[i] = k
			t.n++
			return
		}
	}
}

func (t *keyTable) grow() {
	old := t.slots
	t.slots, t.n = make([]uint64, max(minKeySlots, 2*len(old))), 0
	for _, k := range old {
		if k != 0 {
			t.add(k)
		}
	}
}

// reset empties the set, keeping its array.
func (t *keyTable) reset() {
	clear(t.slots)
	t.n = 0
}
