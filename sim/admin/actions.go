package admin

import (
	"context"
	"fmt"
	"github.com/otasim/otasim/appbundle"
	"net/http"

	"github.com/otasim/otasim/scenarios"
)

// Faults is the whole fault-knob object of PUT /admin/faults.
type Faults struct {
	CDN struct {
		LatencyMs    int     `json:"latency_ms"`
		JitterMs     int     `json:"jitter_ms"`
		BandwidthBps int64   `json:"bandwidth_bps"`
		ErrorRate    float64 `json:"error_rate"`
		ErrorMode    string  `json:"error_mode"`
		TruncateRate float64 `json:"truncate_rate"`
		CorruptRate  float64 `json:"corrupt_rate"`
	} `json:"cdn"`
	API struct {
		LatencyMs     int     `json:"latency_ms"`
		JitterMs      int     `json:"jitter_ms"`
		ErrorRate     float64 `json:"error_rate"`
		RateLimitRate float64 `json:"rate_limit_rate"`
		RetryAfterS   int     `json:"retry_after_s"`
	} `json:"api"`
}

// Do carries out one timeline step on app appID.
func (c *Client) Do(ctx context.Context, appID string, st *scenarios.Step) error {
	name, v := st.Action()
	ch := func(channel string) string { return "/admin/apps/" + esc(appID) + "/channels/" + esc(channel) }
	switch a := v.(type) {
	case *scenarios.Release:
		return c.call(ctx, http.MethodPatch, ch(a.Channel), map[string]string{"bundle": a.Bundle}, nil)
	case *scenarios.Rollout:
		return c.call(ctx, http.MethodPost, ch(a.Channel)+"/rollout", map[string]any{"bundle": a.Bundle, "percent_bp": a.BasisPoints()}, nil)
	case *scenarios.SetPercent:
		return c.call(ctx, http.MethodPatch, ch(a.Channel)+"/rollout", map[string]any{"percent_bp": a.BasisPoints()}, nil)
	case *scenarios.ChannelRef:
		switch name {
		case scenarios.ActionPause, scenarios.ActionResume, scenarios.ActionPromote:
			return c.call(ctx, http.MethodPost, ch(a.Channel)+"/rollout/"+name, nil, nil)
		case scenarios.ActionRollback:
			return c.call(ctx, http.MethodPost, ch(a.Channel)+"/rollback", map[string]string{"reason": "timeline"}, nil)
		}
	case *scenarios.Guard:
		body := map[string]any{
			"enabled": !a.Disabled, "window_s": int(a.Window.Seconds()), "threshold": a.Threshold,
			"min_attempts": a.MinAttempts, "cooldown_s": int(a.Cooldown.Seconds()), "action": a.Action,
		}
		return c.call(ctx, http.MethodPut, ch(a.Channel)+"/guard", body, nil)
	case *scenarios.CDNFaults, *scenarios.APIFaults, *scenarios.ClearFaults:
		var f Faults
		if err := c.call(ctx, http.MethodGet, "/admin/faults", nil, &f); err != nil {
			return err
		}
		switch a := v.(type) {
		case *scenarios.CDNFaults:
			f.CDN.LatencyMs, f.CDN.JitterMs = int(a.Latency.D().Milliseconds()), int(a.Jitter.D().Milliseconds())
			f.CDN.BandwidthBps, f.CDN.ErrorRate, f.CDN.ErrorMode = int64(a.Bandwidth), a.ErrorRate, a.ErrorMode
			f.CDN.TruncateRate, f.CDN.CorruptRate = a.TruncateRate, a.CorruptRate
		case *scenarios.APIFaults:
			f.API.LatencyMs, f.API.JitterMs = int(a.Latency.D().Milliseconds()), int(a.Jitter.D().Milliseconds())
			f.API.ErrorRate, f.API.RateLimitRate = a.ErrorRate, a.RateLimitRate
			f.API.RetryAfterS = int(a.RetryAfter.Seconds())
		case *scenarios.ClearFaults:
			both := !a.CDN && !a.API
			if a.CDN || both {
				mode := f.CDN.ErrorMode
				f.CDN = Faults{}.CDN
				f.CDN.ErrorMode = mode
			}
			if a.API || both {
				f.API = Faults{}.API
			}
		}
		if f.CDN.ErrorMode == "" {
			f.CDN.ErrorMode = "5xx"
		}
		return c.call(ctx, http.MethodPut, "/admin/faults", f, nil)
	}
	return fmt.Errorf("admin: action %q not supported", name)
}

// Setup creates the scenario's app, its bundles (the builtin marker
// included; those built by the simulator, in built, uploaded with their
// files) and its channels; it returns the bundles as the server holds
// them, by version.
func (c *Client) Setup(ctx context.Context, sc *scenarios.Scenario, built map[string]*appbundle.Built) (map[string]Bundle, error) {
	app := sc.App.ID
	if err := c.CreateApp(ctx, app); err != nil {
		return nil, err
	}
	out := map[string]Bundle{}
	if _, err := c.CreateBundle(ctx, app, "builtin", 0, ""); err != nil {
		return nil, err
	}
	for _, b := range sc.Bundles {
		var got Bundle
		var err error
		if bb := built[b.Version]; bb != nil {
			got, err = c.UploadBundle(ctx, app, b.Version, b.MinNative, bb)
		} else {
			got, err = c.CreateBundle(ctx, app, b.Version, int64(b.Size), b.MinNative)
		}
		if err != nil {
			return nil, err
		}
		out[b.Version] = got
	}
	for _, ch := range sc.App.Channels {
		spec := ChannelSpec{Name: ch.Name, Bundle: ch.Bundle, Public: ch.Public, AllowSelfSet: ch.AllowSelfSet,
			DisableAutoUpdate: ch.DisableAutoUpdate}
		if spec.Bundle == "" {
			spec.Bundle = "builtin"
		}
		if len(ch.Platforms) == 0 {
			spec.IOS, spec.Android, spec.Electron = true, true, true
		}
		for _, p := range ch.Platforms {
			switch p {
			case "ios":
				spec.IOS = true
			case "android":
				spec.Android = true
			case "electron":
				spec.Electron = true
			}
		}
		if err := c.PutChannel(ctx, app, spec); err != nil {
			return nil, err
		}
	}
	return out, nil
}
