package release

import (
	"cmp"

	"github.com/otasim/otasim/protocol"
)

// Resolve finds the channel of a device as the backend's requestInfos
// queries do (utils/pg.ts:547-770, 958-1027): its override wins, whatever
// the platform; else its defaultChannel when that channel exists, serves
// the platform and is public or self-assignable (no fallback when it is
// not); else the public channel serving the platform (the first by name,
// then id). A channel whose stable bundle is deleted is passed over, as
// the queries' join on live versions does: an override on one falls back
// to the default channel, a defaultChannel naming one finds nothing.
// viaOverride tells whether an override decided.
func Resolve(app *App, in protocol.Info, override string) (ch *Channel, viaOverride, ok bool) {
	if override != "" {
		if c := app.Channel(override); c != nil && app.Live(c.StableBundle()) {
			return c, true, true
		}
	}
	if in.DefaultChannel != "" {
		c := app.Channel(in.DefaultChannel)
		if c == nil || !c.Policy.AllowsPlatform(in.Platform) || !(c.Policy.Public || c.Policy.AllowSelfSet) ||
			!app.Live(c.StableBundle()) {
			return nil, false, false
		}
		return c, false, true
	}
	c := publicChannel(app, in.Platform, true)
	return c, false, c != nil
}

// publicChannel is the first public channel, by name then id, serving a
// platform (the backend orders by name and id, utils/pg.ts:764);
// liveOnly passes over channels whose stable bundle is deleted.
func publicChannel(app *App, platform string, liveOnly bool) *Channel {
	var best *Channel
	for _, c := range app.Channels {
		if !c.Policy.Public || !c.Policy.AllowsPlatform(platform) || (liveOnly && !app.Live(c.StableBundle())) {
			continue
		}
		if best == nil || cmp.Or(cmp.Compare(c.Name, best.Name), cmp.Compare(c.ID, best.ID)) < 0 {
			best = c
		}
	}
	return best
}

// BundleFor returns the bundle a channel serves a device as the backend's
// rollout decision does (utils/rollout.ts:123-221): with a rollout in
// progress whose bundle is live, a device already running the rollout
// bundle keeps it whatever its hash says (running or paused, at any
// percentage); otherwise a running rollout with a positive percentage
// selects the device by its hash; everyone else gets the stable bundle.
// current is the device's version name after NormalizeBuild.
func BundleFor(app *App, ch *Channel, deviceID, current string) string {
	if r := ch.Rollout; r.InProgress() && app.Live(r.Bundle) {
		switch {
		case current == r.Bundle:
			return r.Bundle
		case r.State == RolloutRunning && Selected(r.ID, deviceID, r.PercentBP):
			return r.Bundle
		}
	}
	return ch.StableBundle()
}
