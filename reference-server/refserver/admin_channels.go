package refserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/otasim/otasim/reference-server/release"
)

// channelJSON is a channel as the admin API shows it.
type channelJSON struct {
	Name           string `json:"name"`
	Bundle         string `json:"bundle"`
	PreviousBundle string `json:"previous_bundle"`
	release.Policy
	Rollout *release.Rollout `json:"rollout"`
	Guard   guardStatus      `json:"guard"`
}

func (s *Server) channelJSON(ch *release.Channel) channelJSON {
	out := channelJSON{Name: ch.Name, Bundle: ch.Bundle, PreviousBundle: ch.PreviousBundle, Policy: ch.Policy,
		Guard: s.guardStatus(ch)}
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

func checkChannelBundle(a *release.App, name string) error {
	if name != "" && a.Bundles[name] == nil {
		return fmt.Errorf("bundle %q not found in %s", name, a.ID)
	}
	return nil
}

func (s *Server) adminCreateChannel(r *http.Request) (int, any, error) {
	var sp ChannelSpec
	if err := decodeStrict(r, &sp); err != nil {
		return 0, nil, err
	}
	ch, err := s.createChannel(r.Context(), r.PathValue("app"), sp)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, s.channelJSON(ch), nil
}

// createChannel validates and stores a new channel.
func (s *Server) createChannel(ctx context.Context, appID string, sp ChannelSpec) (*release.Channel, error) {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	snap := s.snapshot().Clone()
	a := snap.Apps[appID]
	if a == nil {
		return nil, notFound("app %q not found", appID)
	}
	var errs []error
	name := ""
	if sp.Name != nil {
		name = *sp.Name
	}
	if !release.ValidChannelName(name) {
		errs = append(errs, fmt.Errorf("name %.80q must be 1 to %d characters of letters, digits, _ - .", name, release.MaxChannelLen))
	}
	ch := &release.Channel{AppID: appID, Name: name, Policy: release.DefaultPolicy(), Guard: release.DefaultGuard(),
		CreatedAt: s.nowMS()}
	sp.applyPolicy(&ch.Policy)
	if sp.Bundle != nil {
		ch.Bundle = *sp.Bundle
	}
	errs = append(errs, ch.Policy.Validate(), checkChannelBundle(a, ch.Bundle))
	if err := errors.Join(errs...); err != nil {
		return nil, badRequest(err)
	}
	if a.Channel(name) != nil {
		return nil, conflict("channel %q exists in %s", name, appID)
	}
	h := release.HistoryEntry{At: ch.CreatedAt, Event: "channel_create", Bundle: ch.Bundle}
	if err := s.st.CreateChannel(ctx, ch, h); err != nil {
		return nil, err
	}
	a.Channels = append(a.Channels, ch)
	s.publishLocked(snap)
	s.notify(appID, ch)
	return ch, nil
}

func (s *Server) adminListChannels(r *http.Request) (int, any, error) {
	a, err := s.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	out := make([]channelJSON, 0, len(a.Channels))
	for _, ch := range a.Channels {
		out = append(out, s.channelJSON(ch))
	}
	return http.StatusOK, out, nil
}

func (s *Server) channelOf(r *http.Request) (*release.App, *release.Channel, error) {
	a, err := s.appOf(r)
	if err != nil {
		return nil, nil, err
	}
	ch := a.Channel(r.PathValue("channel"))
	if ch == nil {
		return nil, nil, notFound("channel %q not found in %s", r.PathValue("channel"), a.ID)
	}
	return a, ch, nil
}

func (s *Server) adminGetChannel(r *http.Request) (int, any, error) {
	_, ch, err := s.channelOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.channelJSON(ch), nil
}

// changeChannel applies f to a copy of a channel under the admin lock,
// persists the result with the history entries f returns, publishes it and
// notifies devices.
func (s *Server) changeChannel(ctx context.Context, appID, channel string,
	f func(a *release.App, ch *release.Channel, now time.Time) ([]release.HistoryEntry, error)) (*release.Channel, error) {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	snap := s.snapshot().Clone()
	a := snap.Apps[appID]
	if a == nil {
		return nil, notFound("app %q not found", appID)
	}
	ch := a.Channel(channel)
	if ch == nil {
		return nil, notFound("channel %q not found in %s", channel, appID)
	}
	now := s.nowMS()
	h, err := f(a, ch, now)
	if err != nil {
		return nil, err
	}
	if err := s.st.UpdateChannel(ctx, ch, h...); err != nil {
		return nil, err
	}
	s.publishLocked(snap)
	s.notify(appID, ch)
	for _, e := range h {
		s.log.Info("channel changed", "app_id", appID, "channel", ch.Name, "event", e.Event,
			"bundle", e.Bundle, "percent_bp", e.PercentBP, "reason", e.Reason)
	}
	return ch, nil
}

func (s *Server) adminPatchChannel(r *http.Request) (int, any, error) {
	var sp ChannelSpec
	if err := decodeStrict(r, &sp); err != nil {
		return 0, nil, err
	}
	ch, err := s.patchChannel(r.Context(), r.PathValue("app"), r.PathValue("channel"), sp)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.channelJSON(ch), nil
}

// patchChannel changes a channel's settings and, with Bundle set,
// releases a bundle to it (remembering the one it replaces).
func (s *Server) patchChannel(ctx context.Context, appID, channel string, sp ChannelSpec) (*release.Channel, error) {
	return s.changeChannel(ctx, appID, channel, func(a *release.App, ch *release.Channel, now time.Time) ([]release.HistoryEntry, error) {
		var errs []error
		if sp.Name != nil && *sp.Name != ch.Name {
			errs = append(errs, errors.New("name cannot be changed"))
		}
		pol := ch.Policy
		sp.applyPolicy(&pol)
		errs = append(errs, pol.Validate())
		if sp.Bundle != nil {
			errs = append(errs, checkChannelBundle(a, *sp.Bundle))
		}
		if err := errors.Join(errs...); err != nil {
			return nil, badRequest(err)
		}
		var h []release.HistoryEntry
		if pol != ch.Policy {
			ch.Policy = pol
			h = append(h, release.HistoryEntry{At: now, Event: "channel_update", Bundle: ch.Bundle})
		}
		if sp.Bundle != nil && *sp.Bundle != ch.Bundle {
			ch.PreviousBundle, ch.Bundle = ch.Bundle, *sp.Bundle
			h = append(h, release.HistoryEntry{At: now, Event: "bundle_set", Bundle: ch.Bundle})
		}
		return h, nil
	})
}

func (s *Server) adminPutGuard(r *http.Request) (int, any, error) {
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
	ch, err := s.setGuard(r.Context(), r.PathValue("app"), r.PathValue("channel"), g)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.guardStatus(ch), nil
}

// setGuard replaces a channel's guard configuration.
func (s *Server) setGuard(ctx context.Context, appID, channel string, g release.GuardConfig) (*release.Channel, error) {
	if err := g.Validate(); err != nil {
		return nil, badRequest(err)
	}
	return s.changeChannel(ctx, appID, channel, func(_ *release.App, ch *release.Channel, now time.Time) ([]release.HistoryEntry, error) {
		ch.Guard = g
		reason := fmt.Sprintf("enabled=%v window_s=%d threshold=%g min_attempts=%d cooldown_s=%d action=%s",
			g.Enabled, g.WindowS, g.Threshold, g.MinAttempts, g.CooldownS, g.Action)
		return []release.HistoryEntry{{At: now, Event: "guard_config", Reason: reason}}, nil
	})
}

func (s *Server) adminGetGuard(r *http.Request) (int, any, error) {
	_, ch, err := s.channelOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.guardStatus(ch), nil
}

func (s *Server) adminHistory(r *http.Request) (int, any, error) {
	_, ch, err := s.channelOf(r)
	if err != nil {
		return 0, nil, err
	}
	h, err := s.st.History(r.Context(), ch.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h, nil
}
