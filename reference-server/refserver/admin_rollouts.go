package refserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
)

func (s *Server) adminStartRollout(r *http.Request) (int, any, error) {
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
	ch, err := s.startRollout(r.Context(), r.PathValue("app"), r.PathValue("channel"), req.Bundle, *req.PercentBP)
	return s.channelReply(ch, err)
}

func (s *Server) channelReply(ch *release.Channel, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.channelJSON(ch), nil
}

// startRollout starts serving bundle to percentBP of the channel's devices.
func (s *Server) startRollout(ctx context.Context, appID, channel, bundle string, percentBP int) (*release.Channel, error) {
	return s.changeChannel(ctx, appID, channel, func(a *release.App, ch *release.Channel, now time.Time) ([]release.HistoryEntry, error) {
		var errs []error
		switch {
		case bundle == "":
			errs = append(errs, errors.New("bundle is required"))
		case bundle == protocol.Builtin:
			errs = append(errs, errors.New("a rollout cannot serve builtin; point the channel at it instead"))
		case a.Bundles[bundle] == nil:
			errs = append(errs, fmt.Errorf("bundle %q not found in %s", bundle, a.ID))
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
			StartedAt: now, UpdatedAt: now}
		return []release.HistoryEntry{{At: now, Event: "rollout_start", Bundle: bundle, PercentBP: percentBP}}, nil
	})
}

// inProgress returns the channel's rollout or a 409.
func inProgress(ch *release.Channel) (*release.Rollout, error) {
	if !ch.Rollout.InProgress() {
		return nil, conflict("channel %q has no rollout in progress", ch.Name)
	}
	return ch.Rollout, nil
}

func (s *Server) adminChangeRollout(r *http.Request) (int, any, error) {
	var req struct {
		PercentBP *int `json:"percent_bp"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	if req.PercentBP == nil {
		return 0, nil, badRequest(errors.New("percent_bp is required"))
	}
	ch, err := s.setRolloutPercent(r.Context(), r.PathValue("app"), r.PathValue("channel"), *req.PercentBP)
	return s.channelReply(ch, err)
}

// setRolloutPercent changes the share of a rollout in progress.
func (s *Server) setRolloutPercent(ctx context.Context, appID, channel string, bp int) (*release.Channel, error) {
	if err := release.ValidatePercent(bp); err != nil {
		return nil, badRequest(err)
	}
	return s.changeChannel(ctx, appID, channel, func(_ *release.App, ch *release.Channel, now time.Time) ([]release.HistoryEntry, error) {
		ro, err := inProgress(ch)
		if err != nil {
			return nil, err
		}
		ro.PercentBP, ro.UpdatedAt = bp, now
		return []release.HistoryEntry{{At: now, Event: "rollout_change", Bundle: ro.Bundle, PercentBP: bp}}, nil
	})
}

func (s *Server) adminGetRollout(r *http.Request) (int, any, error) {
	_, ch, err := s.channelOf(r)
	if err != nil {
		return 0, nil, err
	}
	if !ch.Rollout.InProgress() {
		return 0, nil, notFound("channel %q has no rollout in progress", ch.Name)
	}
	return http.StatusOK, ch.Rollout, nil
}

// rolloutStep is a state change of a rollout in progress.
func (s *Server) rolloutStep(r *http.Request, event string, f func(ch *release.Channel, ro *release.Rollout) error) (int, any, error) {
	ch, err := s.changeChannel(r.Context(), r.PathValue("app"), r.PathValue("channel"),
		func(_ *release.App, ch *release.Channel, now time.Time) ([]release.HistoryEntry, error) {
			ro, err := inProgress(ch)
			if err != nil {
				return nil, err
			}
			if err := f(ch, ro); err != nil {
				return nil, err
			}
			ro.UpdatedAt = now
			return []release.HistoryEntry{{At: now, Event: event, Bundle: ro.Bundle, PercentBP: ro.PercentBP}}, nil
		})
	return s.channelReply(ch, err)
}

func (s *Server) adminPauseRollout(r *http.Request) (int, any, error) {
	return s.rolloutStep(r, "rollout_pause", func(ch *release.Channel, ro *release.Rollout) error {
		if ro.State == release.RolloutPaused {
			return conflict("the rollout of %q is already paused", ch.Name)
		}
		ro.State = release.RolloutPaused
		return nil
	})
}

func (s *Server) adminResumeRollout(r *http.Request) (int, any, error) {
	return s.rolloutStep(r, "rollout_resume", func(ch *release.Channel, ro *release.Rollout) error {
		if ro.State == release.RolloutRunning {
			return conflict("the rollout of %q is running", ch.Name)
		}
		ro.State = release.RolloutRunning
		return nil
	})
}

func (s *Server) adminPromoteRollout(r *http.Request) (int, any, error) {
	return s.rolloutStep(r, "rollout_promote", func(ch *release.Channel, ro *release.Rollout) error {
		ch.PreviousBundle, ch.Bundle = ch.Bundle, ro.Bundle
		ro.State, ro.PercentBP = release.RolloutPromoted, release.MaxPercentBP
		return nil
	})
}

func (s *Server) adminRollback(r *http.Request) (int, any, error) {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeOptional(r, &req); err != nil {
		return 0, nil, err
	}
	ch, err := s.rollback(r.Context(), r.PathValue("app"), r.PathValue("channel"), req.Reason)
	return s.channelReply(ch, err)
}

// rollback ends a rollout in progress (every device is offered the stable
// bundle again) or, with none, points the channel back at its previous
// bundle.
func (s *Server) rollback(ctx context.Context, appID, channel, reason string) (*release.Channel, error) {
	return s.changeChannel(ctx, appID, channel, func(_ *release.App, ch *release.Channel, now time.Time) ([]release.HistoryEntry, error) {
		if ro := ch.Rollout; ro.InProgress() {
			ro.State, ro.PercentBP, ro.UpdatedAt = release.RolloutRolledBack, 0, now
			return []release.HistoryEntry{{At: now, Event: "rollback", Bundle: ro.Bundle, Reason: reason}}, nil
		}
		if ch.PreviousBundle == "" {
			return nil, conflict("channel %q has no rollout in progress and no previous bundle", ch.Name)
		}
		// The previous bundle is consumed: a second rollback has nothing
		// to go back to, rather than flipping between two bundles.
		ch.Bundle, ch.PreviousBundle = ch.PreviousBundle, ""
		return []release.HistoryEntry{{At: now, Event: "rollback", Bundle: ch.Bundle, Reason: reason}}, nil
	})
}
