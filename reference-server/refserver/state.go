package refserver

import (
	"encoding/json"
	"sync"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/cdn"
	"github.com/otasim/otasim/reference-server/release"
)

// snapshot returns the release state in force.
func (s *Server) snapshot() *release.Snapshot { return s.snap.Load() }

// publishLocked fills bundle URLs, makes snap the state in force and
// refreshes the rollout gauges. The caller holds adminMu (or is New).
func (s *Server) publishLocked(snap *release.Snapshot) {
	base := s.PublicURL()
	for _, a := range snap.Apps {
		for _, b := range a.Bundles {
			b.URL, b.Reply = "", nil
			if b.Path != "" {
				b.URL = bundleURL(base, a.ID, b.Name)
				// Marshal cannot fail on a struct of strings.
				raw, _ := json.Marshal(protocol.UpdateAvailable{Version: b.Name, URL: b.URL, Checksum: b.SHA256})
				b.Reply = append(raw, '\n')
			}
		}
	}
	s.snap.Store(snap)
	if s.metrics != nil {
		s.metrics.setRollouts(snap)
	}
}

func bundleURL(base, appID, name string) string {
	return base + "/cdn/" + appID + "/" + name + ".zip"
}

// cdnLookup gives the CDN handler a bundle file from the state in force.
func (s *Server) cdnLookup(appID, version string) (cdn.Bundle, bool) {
	a := s.snapshot().Apps[appID]
	if a == nil {
		return cdn.Bundle{}, false
	}
	b := a.Bundles[version]
	if b == nil || b.Path == "" || version == protocol.Builtin {
		return cdn.Bundle{}, false
	}
	return cdn.Bundle{Path: b.Path, Size: b.Size, SHA256: b.SHA256}, true
}

// notify tells the push hub that a channel changed.
func (s *Server) notify(appID string, ch *release.Channel) {
	if ch == nil {
		return
	}
	v := ch.Bundle
	if ch.Rollout.InProgress() {
		v = ch.Rollout.Bundle
	}
	s.push.Notify(appID, ch.Name, v)
}

// overrides holds per-device channel overrides. They live beside the
// snapshot, not in it, because there may be many and copying them on every
// admin change would cost more than a lock.
type overrides struct {
	mu sync.RWMutex
	m  map[overrideKey]string
}

type overrideKey struct{ app, device string }

func (o *overrides) init() { o.m = map[overrideKey]string{} }

func (o *overrides) get(app, device string) string {
	o.mu.RLock()
	c := o.m[overrideKey{app, device}]
	o.mu.RUnlock()
	return c
}

func (o *overrides) set(app, device, channel string) {
	o.mu.Lock()
	o.m[overrideKey{app, device}] = channel
	o.mu.Unlock()
}

func (o *overrides) remove(app, device string) {
	o.mu.Lock()
	delete(o.m, overrideKey{app, device})
	o.mu.Unlock()
}
