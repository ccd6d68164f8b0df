package population

import (
	"fmt"
	"strconv"
	"strings"
)

// Part is one shard of a fleet split over Count processes: shard Index
// holds the devices whose index in the whole fleet is Index modulo Count.
// Dealing the devices out like cards gives every shard its share of every
// cohort, of the installed and of the joining devices, so the shards carry
// the same load and each is a small copy of the fleet. The zero Part is
// the whole fleet.
type Part struct {
	Index, Count int
}

// ParsePart reads "I/N" (0 <= I < N).
func ParsePart(s string) (Part, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Part{}, fmt.Errorf("shard %q: want I/N, e.g. 0/4", s)
	}
	pi, err1 := strconv.Atoi(strings.TrimSpace(i))
	pn, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Part{}, fmt.Errorf("shard %q: want I/N with whole numbers, e.g. 0/4", s)
	}
	p := Part{Index: pi, Count: pn}
	return p, p.Validate()
}

// Validate checks 0 <= Index < Count (the zero Part is valid).
func (p Part) Validate() error {
	if p == (Part{}) {
		return nil
	}
	if p.Count < 1 || p.Count > 1<<16 {
		return fmt.Errorf("shard %d/%d: want 1 to 65536 shards", p.Index, p.Count)
	}
	if p.Index < 0 || p.Index >= p.Count {
		return fmt.Errorf("shard %d/%d: the index must be from 0 to %d", p.Index, p.Count, p.Count-1)
	}
	return nil
}

// Sharded reports whether p is one shard of several.
func (p Part) Sharded() bool { return p.Count > 1 }

func (p Part) String() string {
	if !p.Sharded() {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", p.Index, p.Count)
}

// global is the fleet's index of the shard's device i.
func (p Part) global(i uint32) uint32 {
	if p.Count <= 1 {
		return i
	}
	return uint32(p.Index) + i*uint32(p.Count)
}

// Global is the index in the whole fleet of the shard's device i.
func (p *Population) Global(i uint32) uint32 { return p.part.global(i) }

// Part is the shard this population is (the zero Part: the whole fleet).
func (p *Population) Part() Part { return p.part }

// inShard counts the fleet indexes in [start, end) that belong to shard
// part.
func (part Part) inShard(start, end uint32) int {
	if part.Count <= 1 {
		return int(end - start)
	}
	n, idx := uint32(part.Count), uint32(part.Index)
	below := func(x uint32) uint32 { // indexes < x with index % n == idx
		if x <= idx {
			return 0
		}
		return (x-idx-1)/n + 1
	}
	return int(below(end) - below(start))
}

// Shard returns shard part of the fleet p (which must be whole): its
// devices are numbered 0..N-1 in the shard, and every draw, attribute and
// device id is the one the whole fleet's device of the same global index
// has, so the shards' union is the fleet, device for device. The cohorts'
// Devices and Joining are the shard's.
func (p *Population) Shard(part Part) (*Population, error) {
	if err := part.Validate(); err != nil {
		return nil, fmt.Errorf("population: %w", err)
	}
	if p.part.Sharded() {
		return nil, fmt.Errorf("population: shard %s of a shard", part)
	}
	if !part.Sharded() {
		return p, nil
	}
	q := *p
	q.part = part
	q.Cohorts = make([]Cohort, len(p.Cohorts))
	copy(q.Cohorts, p.Cohorts)
	for c := range q.Cohorts {
		q.Cohorts[c].Devices, q.Cohorts[c].Joining = 0, 0
	}
	// The spans keep the fleet's indexes: span() translates before it
	// looks one up. The shard's counts come from the spans.
	q.ranges = p.ranges
	q.N, q.Installed = 0, 0
	for _, s := range p.ranges {
		n := part.inShard(s.start, s.end)
		q.N += n
		if s.joining {
			q.Cohorts[s.cohort].Joining += n
		} else {
			q.Cohorts[s.cohort].Devices += n
			q.Installed += n
		}
	}
	return &q, nil
}
