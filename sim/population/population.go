// Package population derives everything about the virtual devices from the
// run's seed and each device's index: cohort, platform, native version,
// network profile, time zone, device id, join and churn times, and the
// session schedule. Nothing per device is stored here; the same seed gives
// the same population and the same intended schedule.
package population

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/otasim/otasim/scenarios"
)

// Never is a time (ms) that never comes.
const Never = math.MaxInt64

const dayMs = 86_400_000

// Population is the fleet of a run. It is immutable once built.
type Population struct {
	Seed    uint64
	Cohorts []Cohort
	// Profiles are the network profile names, sorted; Attrs.Profile
	// indexes them.
	Profiles []string
	// N is the number of devices, installed and joining.
	N int
	// Installed is the number of devices present at the start.
	Installed int
	// ranges map device indexes to cohorts: installed devices first,
	// then joining ones, each cohort contiguous.
	ranges []span
	// part is the shard this population is (shard.go): every index a
	// method takes is the shard's, turned into the whole fleet's before
	// any draw.
	part Part
}

type span struct {
	start, end uint32 // [start, end)
	cohort     uint16
	joining    bool
}

// Attrs are a device's fixed attributes.
type Attrs struct {
	Cohort   uint16
	Platform uint8 // index in Cohort.Platforms.Names
	Native   uint8 // index in Cohort.Natives.Names
	Profile  uint8 // index in Population.Profiles
	// TZOffsetMin is the local time's offset from UTC.
	TZOffsetMin int16
	// JoinAt is the first launch (ms since the start; 0 for installed
	// devices); ChurnAt the uninstall (Never when not in the run).
	JoinAt  int64
	ChurnAt int64
}

// New builds the population of a scenario. devices overrides
// Fleet.Devices when > 0 (joining devices are scaled alike).
func New(sc *scenarios.Scenario, seed uint64, devices int) (*Population, error) {
	if sc == nil {
		return nil, errors.New("population: no scenario")
	}
	base := sc.Fleet.Devices
	joinScale := 1.0
	if devices > 0 {
		if base > 0 {
			joinScale = float64(devices) / float64(base)
		}
		base = devices
	}
	if len(sc.Fleet.Segments) == 0 {
		return nil, errors.New("population: fleet has no segments")
	}
	cs, err := cohorts(&sc.Fleet, base, joinScale)
	if err != nil {
		return nil, fmt.Errorf("population: %w", err)
	}
	if len(cs) > math.MaxUint16 {
		return nil, errors.New("population: too many cohorts")
	}
	p := &Population{Seed: seed, Cohorts: cs}
	for name := range sc.Network {
		p.Profiles = append(p.Profiles, name)
	}
	slices.Sort(p.Profiles)
	if len(p.Profiles) > 255 {
		return nil, errors.New("population: more than 255 network profiles")
	}
	var errs []error
	for i := range cs {
		c := &cs[i]
		if len(c.Platforms.Names) > 255 || len(c.Natives.Names) > 255 {
			errs = append(errs, fmt.Errorf("cohort %q: more than 255 platforms or native versions", c.Name))
		}
		for _, n := range c.Networks.Names {
			if n != "" && !slices.Contains(p.Profiles, n) {
				errs = append(errs, fmt.Errorf("cohort %q: network profile %q is not defined", c.Name, n))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("population: %w", err)
	}
	var next uint64
	for i := range cs {
		if cs[i].Devices > 0 {
			p.ranges = append(p.ranges, span{uint32(next), uint32(next) + uint32(cs[i].Devices), uint16(i), false})
			next += uint64(cs[i].Devices)
		}
	}
	p.Installed = int(next)
	for i := range cs {
		if cs[i].Joining > 0 {
			p.ranges = append(p.ranges, span{uint32(next), uint32(next) + uint32(cs[i].Joining), uint16(i), true})
			next += uint64(cs[i].Joining)
		}
	}
	if next > math.MaxUint32-1 {
		return nil, errors.New("population: too many devices")
	}
	p.N = int(next)
	return p, nil
}

func (p *Population) span(i uint32) *span {
	i = p.part.global(i)
	k := sort.Search(len(p.ranges), func(k int) bool { return p.ranges[k].end > i })
	return &p.ranges[k]
}

// Uniform is a draw in [0, 1) for device i, a purpose (PurposeUser and
// above for callers) and a counter: the same arguments give the same draw.
func (p *Population) Uniform(i uint32, purpose uint32, ctr uint64) float64 {
	return unit(hash64(p.Seed, p.part.global(i), purpose, ctr))
}

// Attrs returns device i's fixed attributes.
func (p *Population) Attrs(i uint32) Attrs {
	s := p.span(i)
	c := &p.Cohorts[s.cohort]
	a := Attrs{
		Cohort:   s.cohort,
		Platform: uint8(c.Platforms.pick(p.Uniform(i, purposePlatform, 0))),
		Native:   uint8(c.Natives.pick(p.Uniform(i, purposeNative, 0))),
		ChurnAt:  Never,
	}
	if n := c.Networks.Names[c.Networks.pick(p.Uniform(i, purposeNetwork, 0))]; n != "" {
		a.Profile = uint8(slices.Index(p.Profiles, n))
	}
	if c.TZSpreadMin > 0 {
		off := (2*p.Uniform(i, purposeTimezone, 0) - 1) * c.TZSpreadMin
		a.TZOffsetMin = int16(math.Round(off/15) * 15)
	}
	if s.joining {
		from, to := c.JoinFrom.Milliseconds(), c.JoinTo.Milliseconds()
		a.JoinAt = from + int64(p.Uniform(i, purposeJoin, 0)*float64(max(to-from, 0)))
	}
	if c.ChurnPerDay > 0 {
		a.ChurnAt = a.JoinAt + int64(expDraw(p.Uniform(i, purposeChurn, 0))/c.ChurnPerDay*dayMs)
	}
	return a
}

// DeviceID is device i's device_id: a lowercase UUID (version 4 layout)
// derived from the seed and the index.
func (p *Population) DeviceID(i uint32) string {
	var b [16]byte
	g := p.part.global(i)
	AppendIDBytes(&b, hash64(p.Seed, g, purposeID, 0), hash64(p.Seed, g, purposeID2, 0))
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// AppendIDBytes lays two hashes out as UUID bytes with the version 4 and
// RFC 4122 variant bits set.
func AppendIDBytes(b *[16]byte, h1, h2 uint64) {
	for k := range 8 {
		b[k] = byte(h1 >> (8 * k))
		b[8+k] = byte(h2 >> (8 * k))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
}

// LastSession is the end of device i's last session before the run
// (negative ms), so that the fleet is already active at the start: the time
// since it is exponential with the cohort's session rate. Joining devices
// have none (Never).
func (p *Population) LastSession(i uint32) int64 {
	s := p.span(i)
	if s.joining {
		return Never
	}
	rate := p.Cohorts[s.cohort].SessionsPerDay / dayMs
	return -int64(expDraw(p.Uniform(i, purposeLastSession, 0)) / rate)
}

// NextSession returns the start (ms) of device i's next session after
// `after`, drawing from the device's session stream at counter ctr, and the
// counter to pass next time. The sessions follow a non-homogeneous Poisson
// process (sessions per day × the diurnal weight of the local hour), drawn
// by thinning; the stream depends on nothing but the seed and the device.
func (p *Population) NextSession(i uint32, a *Attrs, after int64, ctr uint32) (int64, uint32) {
	c := &p.Cohorts[a.Cohort]
	lmax := c.SessionsPerDay * c.diurnalMax / dayMs // per ms
	t := after
	for range 10_000 { // bounded: acceptance is at least min weight / max
		t += int64(expDraw(p.Uniform(i, purposeSessionGap, uint64(ctr)))/lmax) + 1
		u := p.Uniform(i, purposeSessionAccept, uint64(ctr))
		ctr++
		if u*c.diurnalMax < c.diurnal[localHour(t, a.TZOffsetMin)] {
			return t, ctr
		}
	}
	return Never, ctr
}

// SessionLength is the duration (ms) of device i's k-th session.
func (p *Population) SessionLength(i uint32, a *Attrs, k uint32) int64 {
	c := &p.Cohorts[a.Cohort]
	z := normal(p.Uniform(i, purposeSessionLength, uint64(k)), p.Uniform(i, purposeSessionLength2, uint64(k)))
	s := math.Exp(c.lenMu + c.lenSigma*z)
	return int64(min(s, 86_400) * 1000)
}

// LocalMinute is the minute of the day (0..1439) in the device's local
// time at t ms since the start (the start is midnight UTC).
func LocalMinute(t int64, tzOffsetMin int16) int {
	m := (t/60_000 + int64(tzOffsetMin)) % 1440
	if m < 0 {
		m += 1440
	}
	return int(m)
}

func localHour(t int64, tz int16) int { return LocalMinute(t, tz) / 60 }

// Platform, Native and Profile name a device's attributes.
func (p *Population) Platform(a *Attrs) string {
	return p.Cohorts[a.Cohort].Platforms.Names[a.Platform]
}

// Native is the device's native version_build.
func (p *Population) Native(a *Attrs) string { return p.Cohorts[a.Cohort].Natives.Names[a.Native] }

// Profile is the device's network profile name ("" when none is defined).
func (p *Population) Profile(a *Attrs) string {
	if len(p.Profiles) == 0 {
		return ""
	}
	return p.Profiles[a.Profile]
}

// Duration converts ms to a time.Duration.
func Duration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
