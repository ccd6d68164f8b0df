package live

import (
	"hash/maphash"
	"maps"
	"sync"
	"time"

	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// tally holds what the server counts in memory: per-bundle counters
// (mirrored in SQLite), the last state of every device, and the guard
// windows of rollouts in progress.
type tally struct {
	seed   maphash.Seed
	shards [64]deviceShard

	mu      sync.Mutex
	counts  map[bundleKey]*bundleCounts
	windows map[int64]*guardWindow // by channel id
}

type bundleKey struct{ app, bundle string }

type bundleCounts struct {
	installs, uninstalls int64
	failures             map[string]int64
}

type deviceShard struct {
	mu sync.Mutex
	m  map[deviceKey]DeviceState
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

type guardWindow struct {
	rolloutID int64
	w         release.Window
}

func newTally() *tally {
	t := &tally{seed: maphash.MakeSeed(), counts: map[bundleKey]*bundleCounts{}, windows: map[int64]*guardWindow{}}
	for i := range t.shards {
		t.shards[i].m = map[deviceKey]DeviceState{}
	}
	return t
}

func (t *tally) shard(app, device string) *deviceShard {
	return &t.shards[maphash.String(t.seed, device)%uint64(len(t.shards))]
}

// touch records a device's last check and reports whether it should be
// written to the database: when its version, build or platform changed,
// or its stored check is persistEvery old.
func (t *tally) touch(app, device string, st DeviceState) (persist bool) {
	sh := t.shard(app, device)
	k := deviceKey{app, device}
	sh.mu.Lock()
	old, ok := sh.m[k]
	if ok && old.Version == st.Version && old.Build == st.Build && old.Platform == st.Platform &&
		st.Seen.Sub(old.persisted) < persistEvery {
		st.persisted = old.persisted
	} else {
		st.persisted, persist = st.Seen, true
	}
	sh.m[k] = st
	sh.mu.Unlock()
	return persist
}

// device returns a device's last known state.
func (t *tally) device(app, device string) (DeviceState, bool) {
	sh := t.shard(app, device)
	sh.mu.Lock()
	st, ok := sh.m[deviceKey{app, device}]
	sh.mu.Unlock()
	return st, ok
}

// active counts, per bundle of an app, the devices whose last check is
// within ActiveWindow before now.
func (t *tally) active(app string, now time.Time) map[string]int {
	cut := now.Add(-ActiveWindow)
	out := map[string]int{}
	for i := range t.shards {
		sh := &t.shards[i]
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

func (t *tally) addCounts(ds []store.CountDelta) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range ds {
		k := bundleKey{d.AppID, d.Bundle}
		c := t.counts[k]
		if c == nil {
			c = &bundleCounts{failures: map[string]int64{}}
			t.counts[k] = c
		}
		switch d.Kind {
		case store.KindInstall:
			c.installs += d.N
		case store.KindUninstall:
			c.uninstalls += d.N
		default:
			c.failures[d.Kind] += d.N
		}
	}
}

// BundleStats are the counts of one bundle, as the admin API shows them.
type BundleStats struct {
	Installs      int64            `json:"installs"`
	Uninstalls    int64            `json:"uninstalls"`
	Failures      map[string]int64 `json:"failures"`
	FailuresTotal int64            `json:"failures_total"`
	ActiveDevices int              `json:"active_devices"`
}

func (t *tally) bundleStats(app, bundle string) BundleStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := BundleStats{Failures: map[string]int64{}}
	if c := t.counts[bundleKey{app, bundle}]; c != nil {
		out.Installs, out.Uninstalls = c.installs, c.uninstalls
		out.Failures = maps.Clone(c.failures)
		for _, n := range c.failures {
			out.FailuresTotal += n
		}
	}
	return out
}

// window returns the guard window of a channel's rollout, starting a new
// one when the rollout changed. The caller holds t.mu.
func (t *tally) windowLocked(channelID, rolloutID int64) *guardWindow {
	g := t.windows[channelID]
	if g == nil || g.rolloutID != rolloutID {
		g = &guardWindow{rolloutID: rolloutID}
		t.windows[channelID] = g
	}
	return g
}

// Touch records a device's /updates check and persists it (asynchronously)
// when its state changed or its stored check is persistEvery old.
func (s *State) Touch(d store.Device) {
	if s.tally.touch(d.AppID, d.DeviceID, DeviceState{Version: d.VersionName, Build: d.VersionBuild,
		Platform: d.Platform, Seen: d.LastSeen}) {
		s.st.TouchDevice(d)
	}
}

// Device returns a device's last known state.
func (s *State) Device(appID, deviceID string) (DeviceState, bool) {
	return s.tally.device(appID, deviceID)
}

// BundleStats returns a bundle's counts and its active devices.
func (s *State) BundleStats(appID, bundle string) BundleStats {
	st := s.tally.bundleStats(appID, bundle)
	st.ActiveDevices = s.tally.active(appID, s.now())[bundle]
	return st
}

// Active counts, per bundle of an app, the devices active within
// ActiveWindow.
func (s *State) Active(appID string) map[string]int { return s.tally.active(appID, s.now()) }

// BundleStatsWith is BundleStats with the active counts of Active.
func (s *State) BundleStatsWith(appID, bundle string, active map[string]int) BundleStats {
	st := s.tally.bundleStats(appID, bundle)
	st.ActiveDevices = active[bundle]
	return st
}
