package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/release"
)

// channelJSON is a channel as the admin API shows it.
type channelJSON struct {
	Name           string `json:"name"`
	Bundle         string `json:"bundle"`
	PreviousBundle string `json:"previous_bundle"`
	release.Policy
	Rollout *release.Rollout `json:"rollout"`
	Guard   live.GuardStatus `json:"guard"`
}

func (a *API) channelJSON(ch *release.Channel) channelJSON {
	out := channelJSON{Name: ch.Name, Bundle: ch.Bundle, PreviousBundle: ch.PreviousBundle, Policy: ch.Policy,
		Guard: a.st.GuardStatus(ch)}
	if ch.Rollout.InProgress() {
		r := *ch.Rollout
		out.Rollout = &r
	}
	return out
}

// ChannelSpec is a channel to create or the fields of one to change; nil
// fields are left as they are (or take their defaults on creation).
type ChannelSpec struct {
	Name               *string `json:"name"`
	Bundle             *string `json:"bundle"`
	Public             *bool   `json:"public"`
	AllowSelfSet       *bool   `json:"allow_self_set"`
	IOS                *bool   `json:"ios"`
	Android            *bool   `json:"android"`
	Electron           *bool   `json:"electron"`
	AllowProd          *bool   `json:"allow_prod"`
	AllowDev           *bool   `json:"allow_dev"`
	AllowEmulator      *bool   `json:"allow_emulator"`
	AllowDevice        *bool   `json:"allow_device"`
	DisableAutoUpdate  *string `json:"disable_auto_update"`
	DisableUnderNative *bool   `json:"disable_auto_update_under_native"`
}

func (sp ChannelSpec) applyPolicy(p *release.Policy) {
	for _, f := range []struct {
		v   *bool
		dst *bool
	}{{sp.Public, &p.Public}, {sp.AllowSelfSet, &p.AllowSelfSet}, {sp.IOS, &p.IOS}, {sp.Android, &p.Android},
		{sp.Electron, &p.Electron}, {sp.AllowProd, &p.AllowProd}, {sp.AllowDev, &p.AllowDev},
		{sp.AllowEmulator, &p.AllowEmulator}, {sp.AllowDevice, &p.AllowDevice}, {sp.DisableUnderNative, &p.DisableUnderNative}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if sp.DisableAutoUpdate != nil {
		p.DisableAutoUpdate = *sp.DisableAutoUpdate
	}
}

// checkChannelBundle checks the stable bundle of a channel: empty or
// builtin (the bundle inside the app), else a bundle of the app that is
// not deleted.
func checkChannelBundle(app *release.App, name string) error {
	switch b := app.Bundles[name]; {
	case name == "" || name == protocol.Builtin:
		return nil
	case b == nil:
		return fmt.Errorf("bundle %q not found in %s", name, app.ID)
	case b.Deleted:
		return fmt.Errorf("bundle %q is deleted", name)
	}
	return nil
}

// demoteOverlapping makes private every other public channel of the app
// that serves a platform ch serves, as the backend's
// normalize_public_channel_overlap trigger (supabase/migrations/
// 20260708000000_prod_baseline.sql:26673-26721): one public channel per
// platform.
func demoteOverlapping(tx *live.Tx, app *release.App, ch *release.Channel) {
	p := ch.Policy
	if !p.Public {
		return
	}
	for _, o := range app.Channels {
		q := o.Policy
		if o == ch || !q.Public || !(p.IOS && q.IOS || p.Android && q.Android || p.Electron && q.Electron) {
			continue
		}
		o.Policy.Public = false
		tx.Channel(o, release.HistoryEntry{At: tx.Now, Event: "channel_update", Bundle: o.Bundle,
			Reason: "made private: " + ch.Name + " is now the public channel of " + strings.Join(sharedPlatforms(p, q), ", ")})
	}
}

func sharedPlatforms(p, q release.Policy) []string {
	var out []string
	for _, s := range []struct {
		name string
		both bool
	}{{"ios", p.IOS && q.IOS}, {"android", p.Android && q.Android}, {"electron", p.Electron && q.Electron}} {
		if s.both {
			out = append(out, s.name)
		}
	}
	return out
}

func (a *API) createChannel(r *http.Request) (int, any, error) {
	var sp ChannelSpec
	if err := decodeStrict(r, &sp); err != nil {
		return 0, nil, err
	}
	ch, err := a.CreateChannel(r.Context(), r.PathValue("app"), sp)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.channelJSON(ch), nil
}

// CreateChannel validates and stores a new channel.
func (a *API) CreateChannel(ctx context.Context, appID string, sp ChannelSpec) (*release.Channel, error) {
	var ch *release.Channel
	err := a.st.Update(ctx, func(tx *live.Tx) error {
		app := tx.Snap.Apps[appID]
		if app == nil {
			return notFound("app %q not found", appID)
		}
		var errs []error
		name := ""
		if sp.Name != nil {
			name = *sp.Name
		}
		if !release.ValidChannelName(name) {
			errs = append(errs, fmt.Errorf("name %.80q must be 1 to %d characters of letters, digits, _ - .", name, release.MaxChannelLen))
		}
		ch = &release.Channel{AppID: appID, Name: name, Policy: release.DefaultPolicy(), Guard: release.DefaultGuard(),
			CreatedAt: tx.Now}
		sp.applyPolicy(&ch.Policy)
		if sp.Bundle != nil {
			ch.Bundle = *sp.Bundle
		}
		errs = append(errs, ch.Policy.Validate(), checkChannelBundle(app, ch.Bundle))
		if err := errors.Join(errs...); err != nil {
			return badRequest(err)
		}
		if app.Channel(name) != nil {
			return conflict("channel %q exists in %s", name, appID)
		}
		demoteOverlapping(tx, app, ch)
		app.Channels = append(app.Channels, ch)
		tx.NewChannel(ch, release.HistoryEntry{At: ch.CreatedAt, Event: "channel_create", Bundle: ch.Bundle})
		return nil
	})
	return ch, err
}

func (a *API) listChannels(r *http.Request) (int, any, error) {
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	out := make([]channelJSON, 0, len(app.Channels))
	for _, ch := range app.Channels {
		out = append(out, a.channelJSON(ch))
	}
	return http.StatusOK, out, nil
}

func (a *API) channelOf(r *http.Request) (*release.App, *release.Channel, error) {
	app, err := a.appOf(r)
	if err != nil {
		return nil, nil, err
	}
	ch := app.Channel(r.PathValue("channel"))
	if ch == nil {
		return nil, nil, notFound("channel %q not found in %s", r.PathValue("channel"), app.ID)
	}
	return app, ch, nil
}

func (a *API) getChannel(r *http.Request) (int, any, error) {
	_, ch, err := a.channelOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.channelJSON(ch), nil
}

// changeChannel applies f to a copy of a channel, persists the result with
// the history entries f returns, publishes it and notifies devices.
func (a *API) changeChannel(ctx context.Context, appID, channel string,
	f func(tx *live.Tx, app *release.App, ch *release.Channel) ([]release.HistoryEntry, error)) (*release.Channel, error) {
	var ch *release.Channel
	err := a.st.Update(ctx, func(tx *live.Tx) error {
		app := tx.Snap.Apps[appID]
		if app == nil {
			return notFound("app %q not found", appID)
		}
		if ch = app.Channel(channel); ch == nil {
			return notFound("channel %q not found in %s", channel, appID)
		}
		h, err := f(tx, app, ch)
		if err != nil {
			return err
		}
		tx.Channel(ch, h...)
		return nil
	})
	return ch, err
}

func (a *API) patchChannel(r *http.Request) (int, any, error) {
	var sp ChannelSpec
	if err := decodeStrict(r, &sp); err != nil {
		return 0, nil, err
	}
	ch, err := a.PatchChannel(r.Context(), r.PathValue("app"), r.PathValue("channel"), sp)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.channelJSON(ch), nil
}

// PatchChannel changes a channel's settings and, with Bundle set, releases
// a bundle to it (remembering the one it replaces).
func (a *API) PatchChannel(ctx context.Context, appID, channel string, sp ChannelSpec) (*release.Channel, error) {
	return a.changeChannel(ctx, appID, channel, func(tx *live.Tx, app *release.App, ch *release.Channel) ([]release.HistoryEntry, error) {
		var errs []error
		if sp.Name != nil && *sp.Name != ch.Name {
			errs = append(errs, errors.New("name cannot be changed"))
		}
		pol := ch.Policy
		sp.applyPolicy(&pol)
		errs = append(errs, pol.Validate())
		if sp.Bundle != nil {
			errs = append(errs, checkChannelBundle(app, *sp.Bundle))
		}
		if err := errors.Join(errs...); err != nil {
			return nil, badRequest(err)
		}
		var h []release.HistoryEntry
		if pol != ch.Policy {
			reach := pol.Public != ch.Policy.Public || pol.IOS != ch.Policy.IOS || pol.Android != ch.Policy.Android ||
				pol.Electron != ch.Policy.Electron
			ch.Policy = pol
			h = append(h, release.HistoryEntry{At: tx.Now, Event: "channel_update", Bundle: ch.Bundle})
			if reach {
				demoteOverlapping(tx, app, ch)
			}
		}
		if sp.Bundle != nil && *sp.Bundle != ch.Bundle {
			ch.PreviousBundle, ch.Bundle = ch.Bundle, *sp.Bundle
			h = append(h, release.HistoryEntry{At: tx.Now, Event: "bundle_set", Bundle: ch.Bundle})
		}
		return h, nil
	})
}

func (a *API) putGuard(r *http.Request) (int, any, error) {
	var req struct {
		Enabled     *bool    `json:"enabled"`
		WindowS     *int     `json:"window_s"`
		Threshold   *float64 `json:"threshold"`
		MinAttempts *int     `json:"min_attempts"`
		CooldownS   *int     `json:"cooldown_s"`
		Action      *string  `json:"action"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	g := release.DefaultGuard()
	if req.Enabled != nil {
		g.Enabled = *req.Enabled
	}
	if req.WindowS != nil {
		g.WindowS = *req.WindowS
	}
	if req.Threshold != nil {
		g.Threshold = *req.Threshold
	}
	if req.MinAttempts != nil {
		g.MinAttempts = *req.MinAttempts
	}
	if req.CooldownS != nil {
		g.CooldownS = *req.CooldownS
	}
	if req.Action != nil {
		g.Action = *req.Action
	}
	if err := g.Validate(); err != nil {
		return 0, nil, badRequest(err)
	}
	ch, err := a.changeChannel(r.Context(), r.PathValue("app"), r.PathValue("channel"),
		func(tx *live.Tx, _ *release.App, ch *release.Channel) ([]release.HistoryEntry, error) {
			ch.Guard = g
			reason := fmt.Sprintf("enabled=%v window_s=%d threshold=%g min_attempts=%d cooldown_s=%d action=%s",
				g.Enabled, g.WindowS, g.Threshold, g.MinAttempts, g.CooldownS, g.Action)
			tx.Quiet(ch)
			return []release.HistoryEntry{{At: tx.Now, Event: "guard_config", Reason: reason}}, nil
		})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.st.GuardStatus(ch), nil
}

func (a *API) getGuard(r *http.Request) (int, any, error) {
	_, ch, err := a.channelOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.st.GuardStatus(ch), nil
}

func (a *API) history(r *http.Request) (int, any, error) {
	_, ch, err := a.channelOf(r)
	if err != nil {
		return 0, nil, err
	}
	h, err := a.st.History(r.Context(), ch.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h, nil
}
