package sim

// slab holds a record of type T for each device that needs one now (a
// request in flight, stats events queued), in chunks reused as devices
// come and go: 4 bytes a device for the index, and the records of the
// devices that have one. The maps it replaced cost a hash per access and
// tens of bytes per entry, and five of them held one device's side state.
// Records never move, so a pointer to one stays valid until the record
// is removed.
type slab[T any] struct {
	slot   []uint32 // by device: 1 + its record's index, 0 for none
	chunks [][]T
	free   []uint32 // indexes of removed records
	used   int
	clear  func(*T) // readies a removed record for its next device
}

const slabChunk = 1024

// newSlab returns a slab for n devices; clear resets a removed record
// (keeping what is worth reusing, such as a slice's capacity).
func newSlab[T any](n int, clear func(*T)) slab[T] {
	return slab[T]{slot: make([]uint32, n), clear: clear}
}

func (s *slab[T]) at(idx uint32) *T { return &s.chunks[idx/slabChunk][idx%slabChunk] }

// get returns the device's record, nil when it has none.
func (s *slab[T]) get(dev uint32) *T {
	if k := s.slot[dev]; k != 0 {
		return s.at(k - 1)
	}
	return nil
}

// add returns the device's record, taking a fresh one when it has none.
func (s *slab[T]) add(dev uint32) *T {
	if k := s.slot[dev]; k != 0 {
		return s.at(k - 1)
	}
	var idx uint32
	if n := len(s.free); n > 0 {
		idx = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		idx = uint32(len(s.chunks) * slabChunk)
		s.chunks = append(s.chunks, make([]T, slabChunk))
		for k := slabChunk - 1; k > 0; k-- {
			s.free = append(s.free, idx+uint32(k))
		}
	}
	s.slot[dev] = idx + 1
	s.used++
	return s.at(idx)
}

// remove gives the device's record back (nothing when it has none).
func (s *slab[T]) remove(dev uint32) {
	k := s.slot[dev]
	if k == 0 {
		return
	}
	s.slot[dev] = 0
	s.used--
	if s.clear != nil {
		s.clear(s.at(k - 1))
	}
	s.free = append(s.free, k-1)
}

// len is the number of devices with a record.
func (s *slab[T]) len() int { return s.used }

// bytes is the memory the slab holds: the index and every chunk.
func (s *slab[T]) bytes(recordSize uintptr) int64 {
	return int64(cap(s.slot))*4 + int64(len(s.chunks))*slabChunk*int64(recordSize) + int64(cap(s.free))*4
}
