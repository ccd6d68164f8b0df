package sim

// parking holds completions until their modelled virtual time: at speed
// above 1 a reply arrives before the modelled network would have
// delivered it, and waits in a slot that an evDeliver event names.
type parking struct {
	jobs []*job
	free []uint32
}

// park holds j and returns its slot.
func (p *parking) park(j *job) uint32 {
	if n := len(p.free); n > 0 {
		slot := p.free[n-1]
		p.free = p.free[:n-1]
		p.jobs[slot] = j
		return slot
	}
	p.jobs = append(p.jobs, j)
	return uint32(len(p.jobs) - 1)
}

// take returns the job of a slot and frees the slot.
func (p *parking) take(slot uint32) *job {
	j := p.jobs[slot]
	p.jobs[slot] = nil
	p.free = append(p.free, slot)
	return j
}

// takeEach takes every held job for which keep is true.
func (p *parking) takeEach(keep func(*job) bool, fn func(*job)) {
	for slot, j := range p.jobs {
		if j != nil && keep(j) {
			fn(p.take(uint32(slot)))
		}
	}
}
