package live

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otasim/otasim/reference-server/store"
)

// DefaultMaxDevices bounds the devices the server keeps in memory (about
// 250 bytes each: 0.5 GB at the bound).
const DefaultMaxDevices = 2_000_000

// MaxStoredText bounds each text the server keeps of a device or an event
// beyond the backend's schema limits (its schema bounds device_id, key_id,
// custom_id, install_source and metadata, utils/plugin_validation.ts
// :43-45,122,143,272-273, and leaves version names, native versions and a
// stats event's platform unbounded). Longer texts are kept cut to this
// many bytes; replies are decided on the texts as sent.
const MaxStoredText = 256

// clip cuts s to MaxStoredText bytes, on a UTF-8 boundary.
func clip(s string) string {
	if len(s) <= MaxStoredText {
		return s
	}
	n := MaxStoredText
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// devices is the last state of every device active within ActiveWindow,
// in shards, bounded: a device inactive beyond the window is evicted when
// its shard grows or is full, and a new device finding its shard full of
// active ones is not kept (counted in untracked).
type devices struct {
	seed      maphash.Seed
	shards    [64]deviceShard
	perShard  int
	untracked atomic.Int64
}

type deviceShard struct {
	mu sync.Mutex
	m  map[deviceKey]DeviceState
	// added is how many devices joined since the last sweep; oldest is
	// the earliest last check the sweep left (a lower bound of every last
	// check since, which only move forward).
	added  int
	oldest time.Time
}

type deviceKey struct{ app, device string }

// DeviceState is the last known state of a device: the version it runs (as
// the backend reads it: a builtin device runs its version_build), its
// native version and platform, and its last /updates check.
type DeviceState struct {
	Version, Build, Platform string
	Seen                     time.Time
	// persisted is the last check written to the database.
	persisted time.Time
}

// persistEvery bounds how stale a device's stored last check may get
// (server clock) when nothing else about it changed: a fleet at rest
// checking every few minutes would otherwise rewrite every device row on
// every check.
const persistEvery = 5 * time.Minute

// sweepAfter is how many devices may join a shard between two sweeps of
// it, at least (a quarter of its size otherwise): eviction costs O(1) a
// device, amortized.
const sweepAfter = 1024

func (d *devices) init(max int) {
	if max <= 0 {
		max = DefaultMaxDevices
	}
	d.seed = maphash.MakeSeed()
	d.perShard = (max + len(d.shards) - 1) / len(d.shards)
	for i := range d.shards {
		d.shards[i].m = map[deviceKey]DeviceState{}
	}
}

func (d *devices) shard(device string) *deviceShard {
	return &d.shards[maphash.String(d.seed, device)%uint64(len(d.shards))]
}

// touch records a device's last check and reports whether it should be
// written to the database: when its version, build or platform changed,
// or its stored check is persistEvery old. A device that finds no room is
// neither kept nor written.
func (d *devices) touch(app, device string, st DeviceState) (persist bool) {
	st.Version, st.Build, st.Platform = clip(st.Version), clip(st.Build), clip(st.Platform)
	sh := d.shard(device)
	k := deviceKey{app, device}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, ok := sh.m[k]
	if !ok {
		cut := st.Seen.Add(-ActiveWindow)
		// A full shard is swept only when it may hold a device to evict,
		// so that a flood of new devices cannot make every check sweep.
		if sh.added++; sh.added >= max(sweepAfter, len(sh.m)/4) || (len(sh.m) >= d.perShard && sh.oldest.Before(cut)) {
			sh.sweep(cut)
		}
		if len(sh.m) >= d.perShard {
			d.untracked.Add(1)
			return false
		}
	}
	if ok && old.Version == st.Version && old.Build == st.Build && old.Platform == st.Platform &&
		st.Seen.Sub(old.persisted) < persistEvery {
		st.persisted = old.persisted
	} else {
		st.persisted, persist = st.Seen, true
	}
	sh.m[k] = st
	return persist
}

// sweep evicts the devices last seen before cut. The caller holds sh.mu.
func (sh *deviceShard) sweep(cut time.Time) {
	sh.oldest = time.Time{}
	for k, st := range sh.m {
		switch {
		case st.Seen.Before(cut):
			delete(sh.m, k)
		case sh.oldest.IsZero() || st.Seen.Before(sh.oldest):
			sh.oldest = st.Seen
		}
	}
	if sh.oldest.IsZero() {
		sh.oldest = cut // empty: nothing older than the cut can be left
	}
	sh.added = 0
}

// device returns a device's last known state.
func (d *devices) device(app, device string) (DeviceState, bool) {
	sh := d.shard(device)
	sh.mu.Lock()
	st, ok := sh.m[deviceKey{app, device}]
	sh.mu.Unlock()
	return st, ok
}

// active counts, per bundle of an app, the devices whose last check is
// within ActiveWindow before now.
func (d *devices) active(app string, now time.Time) map[string]int {
	cut := now.Add(-ActiveWindow)
	out := map[string]int{}
	for i := range d.shards {
		sh := &d.shards[i]
		sh.mu.Lock()
		for k, st := range sh.m {
			if k.app == app && !st.Seen.Before(cut) {
				out[st.Version]++
			}
		}
		sh.mu.Unlock()
	}
	return out
}

// count is the number of devices kept.
func (d *devices) count() int {
	n := 0
	for i := range d.shards {
		sh := &d.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// Touch records a device's /updates check and persists it (asynchronously)
// when its state changed or its stored check is persistEvery old.
func (s *State) Touch(d store.Device) {
	if s.tally.devices.touch(d.AppID, d.DeviceID, DeviceState{Version: d.VersionName, Build: d.VersionBuild,
		Platform: d.Platform, Seen: d.LastSeen}) {
		d.VersionName, d.VersionBuild, d.Platform = clip(d.VersionName), clip(d.VersionBuild), clip(d.Platform)
		s.st.TouchDevice(d)
	}
}

// Device returns a device's last known state, if it was active within
// ActiveWindow (and kept: see DeviceCounts).
func (s *State) Device(appID, deviceID string) (DeviceState, bool) {
	return s.tally.devices.device(appID, deviceID)
}

// DeviceCounts returns how many devices the server keeps in memory and how
// many checks of new devices found no room since it started.
func (s *State) DeviceCounts() (kept int, untracked int64) {
	return s.tally.devices.count(), s.tally.devices.untracked.Load()
}
