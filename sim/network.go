package sim

import (
	"math"
	"time"

	"github.com/otasim/otasim/scenarios"
)

// The devices' modelled network (scenarios.NetworkProfile): offline
// spells, lost connections, round trips and bandwidth, in virtual time.

func (e *engine) profile(dev uint32) *scenarios.NetworkProfile {
	if len(e.profiles) == 0 {
		return nil
	}
	return &e.profiles[e.attrs[dev].Profile]
}

// offline reports whether the device is in an offline spell at t.
func (e *engine) offline(dev uint32, t int64) bool {
	p := e.profile(dev)
	if p == nil || p.OfflineEvery <= 0 || p.OfflineFor <= 0 {
		return false
	}
	every := p.OfflineEvery.D().Milliseconds()
	phase := int64(e.pop.Uniform(dev, purposeOffline, 0) * float64(every))
	return (t+phase)%every < p.OfflineFor.D().Milliseconds()
}

// rtt is the device's modelled round trip (ms) with jitter.
func (e *engine) rtt(dev uint32, t int64) int64 {
	p := e.profile(dev)
	if p == nil {
		return 0
	}
	ms := p.RTT.D().Milliseconds()
	if j := p.Jitter.D().Milliseconds(); j > 0 {
		ms += int64(e.pop.Uniform(dev, purposeJitter, uint64(t)) * float64(j))
	}
	return ms
}

// modelled is the device-network time of a job in virtual ms: a round
// trip, and for a download its bytes at the profile's bandwidth.
func (e *engine) modelled(j *job) int64 {
	p := e.profile(j.dev)
	if p == nil {
		return 0
	}
	ms := e.rtt(j.dev, j.intendedMs)
	if mj := j.manifest; mj != nil && len(mj.fetch) > 0 {
		// Files are fetched ManifestConcurrency at a time: a round trip
		// for each wave.
		c := max(e.Platform(j.dev).ManifestConcurrency, 1)
		ms *= int64((len(mj.fetch) + c - 1) / c)
	}
	if j.kind == jobDownload && p.Bandwidth > 0 {
		ms += int64(math.Ceil(float64(j.size) / float64(p.Bandwidth) * 1000))
	}
	return ms
}

// deadline applies the platform's bound on a whole download: a transfer
// that the modelled network would not finish in time is cut where it
// stands (at speed 1 the real transfer is bounded).
func (e *engine) deadline(j *job, p *scenarios.NetworkProfile) {
	d := e.Platform(j.dev).DownloadDeadline
	if d <= 0 {
		return
	}
	j.opt.Deadline = time.Duration(d) * time.Millisecond
	if e.set.speed == 1 || p == nil || p.Bandwidth <= 0 {
		return
	}
	if e.modelled(j) <= d {
		return
	}
	by := int64(float64(p.Bandwidth) * float64(max(d-e.rtt(j.dev, j.intendedMs), 0)) / 1000)
	if by < 1 {
		by = 1
	}
	if j.opt.CutAfter == 0 || by < j.opt.CutAfter {
		j.opt.CutAfter = min(by, max(j.size-1, 1))
	}
}
