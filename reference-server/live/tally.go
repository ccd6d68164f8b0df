package live

import (
	"maps"
	"sync"

	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// tally holds what the server counts in memory: per-bundle counters
// (mirrored in SQLite), the last state of every device, and the guard
// windows of rollouts in progress.
type tally struct {
	devices devices

	mu      sync.Mutex
	counts  map[bundleKey]*bundleCounts
	windows map[int64]*guardWindow // by channel id
}

type bundleKey struct{ app, bundle string }

type bundleCounts struct {
	installs, uninstalls int64
	failures             map[string]int64
}

type guardWindow struct {
	rolloutID int64
	w         release.Window
}

func newTally(maxDevices int) *tally {
	t := &tally{counts: map[bundleKey]*bundleCounts{}, windows: map[int64]*guardWindow{}}
	t.devices.init(maxDevices)
	return t
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

// BundleStats returns a bundle's counts and its active devices.
func (s *State) BundleStats(appID, bundle string) BundleStats {
	st := s.tally.bundleStats(appID, bundle)
	st.ActiveDevices = s.tally.devices.active(appID, s.now())[bundle]
	return st
}

// Active counts, per bundle of an app, the devices active within
// ActiveWindow.
func (s *State) Active(appID string) map[string]int { return s.tally.devices.active(appID, s.now()) }

// BundleStatsWith is BundleStats with the active counts of Active.
func (s *State) BundleStatsWith(appID, bundle string, active map[string]int) BundleStats {
	st := s.tally.bundleStats(appID, bundle)
	st.ActiveDevices = active[bundle]
	return st
}
