package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/release"
)

func (a *API) startRollout(r *http.Request) (int, any, error) {
	var req struct {
		Bundle    string `json:"bundle"`
		PercentBP *int   `json:"percent_bp"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	if req.PercentBP == nil {
		return 0, nil, badRequest(errors.New("percent_bp is required"))
	}
	ch, err := a.StartRollout(r.Context(), r.PathValue("app"), r.PathValue("channel"), req.Bundle, *req.PercentBP)
	return a.channelReply(ch, err)
}

func (a *API) channelReply(ch *release.Channel, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.channelJSON(ch), nil
}

// StartRollout starts serving bundle to percentBP of the channel's devices.
func (a *API) StartRollout(ctx context.Context, appID, channel, bundle string, percentBP int) (*release.Channel, error) {
	return a.changeChannel(ctx, appID, channel, func(tx *live.Tx, app *release.App, ch *release.Channel) ([]release.HistoryEntry, error) {
		var errs []error
		switch {
		case bundle == "":
			errs = append(errs, errors.New("bundle is required"))
		case bundle == protocol.Builtin:
			errs = append(errs, errors.New("a rollout cannot serve builtin; point the channel at it instead"))
		case app.Bundles[bundle] == nil:
			errs = append(errs, fmt.Errorf("bundle %q not found in %s", bundle, app.ID))
		case app.Bundles[bundle].Deleted:
			errs = append(errs, fmt.Errorf("bundle %q is deleted", bundle))
		case bundle == ch.Bundle:
			errs = append(errs, fmt.Errorf("bundle %q is already the channel's stable bundle", bundle))
		}
		errs = append(errs, release.ValidatePercent(percentBP))
		if err := errors.Join(errs...); err != nil {
			return nil, badRequest(err)
		}
		if ch.Rollout.InProgress() {
			return nil, conflict("channel %q has a rollout %s (id %d): promote or roll it back first",
				ch.Name, ch.Rollout.State, ch.Rollout.ID)
		}
		ch.Rollout = &release.Rollout{Bundle: bundle, PercentBP: percentBP, State: release.RolloutRunning,
			StartedAt: tx.Now, UpdatedAt: tx.Now}
		return []release.HistoryEntry{{At: tx.Now, Event: "rollout_start", Bundle: bundle, PercentBP: percentBP}}, nil
	})
}

// inProgress returns the channel's rollout or a 409.
func inProgress(ch *release.Channel) (*release.Rollout, error) {
	if !ch.Rollout.InProgress() {
		return nil, conflict("channel %q has no rollout in progress", ch.Name)
	}
	return ch.Rollout, nil
}

func (a *API) changeRollout(r *http.Request) (int, any, error) {
	var req struct {
		PercentBP *int `json:"percent_bp"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	if req.PercentBP == nil {
		return 0, nil, badRequest(errors.New("percent_bp is required"))
	}
	ch, err := a.setRolloutPercent(r.Context(), r.PathValue("app"), r.PathValue("channel"), *req.PercentBP)
	return a.channelReply(ch, err)
}

// setRolloutPercent changes the share of a rollout in progress.
func (a *API) setRolloutPercent(ctx context.Context, appID, channel string, bp int) (*release.Channel, error) {
	if err := release.ValidatePercent(bp); err != nil {
		return nil, badRequest(err)
	}
	return a.changeChannel(ctx, appID, channel, func(tx *live.Tx, _ *release.App, ch *release.Channel) ([]release.HistoryEntry, error) {
		ro, err := inProgress(ch)
		if err != nil {
			return nil, err
		}
		ro.PercentBP, ro.UpdatedAt = bp, tx.Now
		return []release.HistoryEntry{{At: tx.Now, Event: "rollout_change", Bundle: ro.Bundle, PercentBP: bp}}, nil
	})
}

func (a *API) getRollout(r *http.Request) (int, any, error) {
	_, ch, err := a.channelOf(r)
	if err != nil {
		return 0, nil, err
	}
	if !ch.Rollout.InProgress() {
		return 0, nil, notFound("channel %q has no rollout in progress", ch.Name)
	}
	return http.StatusOK, ch.Rollout, nil
}

// rolloutStep is a state change of a rollout in progress.
func (a *API) rolloutStep(r *http.Request, event string, f func(ch *release.Channel, ro *release.Rollout) error) (int, any, error) {
	ch, err := a.changeChannel(r.Context(), r.PathValue("app"), r.PathValue("channel"),
		func(tx *live.Tx, _ *release.App, ch *release.Channel) ([]release.HistoryEntry, error) {
			ro, err := inProgress(ch)
			if err != nil {
				return nil, err
			}
			if err := f(ch, ro); err != nil {
				return nil, err
			}
			ro.UpdatedAt = tx.Now
			return []release.HistoryEntry{{At: tx.Now, Event: event, Bundle: ro.Bundle, PercentBP: ro.PercentBP}}, nil
		})
	return a.channelReply(ch, err)
}

func (a *API) pauseRollout(r *http.Request) (int, any, error) {
	return a.rolloutStep(r, "rollout_pause", func(ch *release.Channel, ro *release.Rollout) error {
		if ro.State == release.RolloutPaused {
			return conflict("the rollout of %q is already paused", ch.Name)
		}
		ro.State = release.RolloutPaused
		return nil
	})
}

func (a *API) resumeRollout(r *http.Request) (int, any, error) {
	return a.rolloutStep(r, "rollout_resume", func(ch *release.Channel, ro *release.Rollout) error {
		if ro.State == release.RolloutRunning {
			return conflict("the rollout of %q is running", ch.Name)
		}
		ro.State = release.RolloutRunning
		return nil
	})
}

func (a *API) promoteRollout(r *http.Request) (int, any, error) {
	return a.rolloutStep(r, "rollout_promote", func(ch *release.Channel, ro *release.Rollout) error {
		ch.PreviousBundle, ch.Bundle = ch.Bundle, ro.Bundle
		ro.State, ro.PercentBP = release.RolloutPromoted, release.MaxPercentBP
		return nil
	})
}

func (a *API) rollbackChannel(r *http.Request) (int, any, error) {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeOptional(r, &req); err != nil {
		return 0, nil, err
	}
	ch, err := a.rollback(r.Context(), r.PathValue("app"), r.PathValue("channel"), req.Reason)
	return a.channelReply(ch, err)
}

// rollback ends a rollout in progress (every device is offered the stable
// bundle again) or, with none, points the channel back at its previous
// bundle.
func (a *API) rollback(ctx context.Context, appID, channel, reason string) (*release.Channel, error) {
	return a.changeChannel(ctx, appID, channel, func(tx *live.Tx, _ *release.App, ch *release.Channel) ([]release.HistoryEntry, error) {
		if ro := ch.Rollout; ro.InProgress() {
			ro.State, ro.PercentBP, ro.UpdatedAt = release.RolloutRolledBack, 0, tx.Now
			return []release.HistoryEntry{{At: tx.Now, Event: "rollback", Bundle: ro.Bundle, Reason: reason}}, nil
		}
		if ch.PreviousBundle == "" {
			return nil, conflict("channel %q has no rollout in progress and no previous bundle", ch.Name)
		}
		// The previous bundle is consumed: a second rollback has nothing
		// to go back to, rather than flipping between two bundles.
		ch.Bundle, ch.PreviousBundle = ch.PreviousBundle, ""
		return []release.HistoryEntry{{At: tx.Now, Event: "rollback", Bundle: ch.Bundle, Reason: reason}}, nil
	})
}
