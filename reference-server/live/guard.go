package live

import (
	"context"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// countsForGuard reports whether an event feeds a guard window: installs
// and failures reported by prod, non-emulator devices.
func countsForGuard(e store.Event) (failure, ok bool) {
	if !e.IsProd || e.IsEmulator {
		return false, false
	}
	if e.Action == protocol.ActionSet {
		return false, true
	}
	return true, protocol.IsFailure(e.Action)
}

// feedGuards adds committed events to the windows of the rollouts they
// concern and acts on every guard that trips. An event concerns a channel's
// rollout when it is about the rollout bundle and the device resolves to
// that channel (infos[i] is the info object of events[i]), so two channels
// rolling out the same bundle keep apart windows.
func (s *State) feedGuards(appID string, events []store.Event, infos []protocol.Info) {
	app := s.snap.Load().Apps[appID]
	if app == nil {
		return
	}
	chans := make([]string, len(events))
	for i := range events {
		if _, ok := countsForGuard(events[i]); !ok {
			continue
		}
		if ch, _, ok := release.Resolve(app, infos[i], s.overrides.get(appID, events[i].DeviceID)); ok {
			chans[i] = ch.Name
		}
	}
	type trip struct {
		channelID, rolloutID int64
		v                    release.Verdict
	}
	var trips []trip
	s.tally.mu.Lock()
	for _, ch := range app.Channels {
		r := ch.Rollout
		if !r.InProgress() {
			continue
		}
		var win *guardWindow
		for i, e := range events {
			failure, ok := countsForGuard(e)
			// A device whose channel cannot be resolved any more (say its
			// defaultChannel was made private) still counts for the bundle.
			if !ok || release.EventBundle(e.VersionName) != r.Bundle || (chans[i] != "" && chans[i] != ch.Name) {
				continue
			}
			if win == nil {
				win = s.tally.windowLocked(ch.ID, r.ID)
			}
			win.w.Add(e.ReceivedAt, failure)
		}
		if win == nil || !ch.Guard.Enabled {
			continue
		}
		if v := ch.Guard.Evaluate(&win.w, s.now(), ch.LastTrip); v.Trip {
			trips = append(trips, trip{ch.ID, r.ID, v})
		}
	}
	s.tally.mu.Unlock()
	for _, t := range trips {
		s.guardAct(context.Background(), appID, t.channelID, t.rolloutID, t.v)
	}
}

// guardAct applies a tripped guard's action, unless the rollout changed or
// another trip acted in the meantime.
func (s *State) guardAct(ctx context.Context, appID string, channelID, rolloutID int64, v release.Verdict) {
	var action, bundle string
	var acted bool
	err := s.Update(ctx, func(tx *Tx) error {
		app := tx.Snap.Apps[appID]
		if app == nil {
			return nil
		}
		ch := app.ChannelByID(channelID)
		if ch == nil || !ch.Rollout.InProgress() || ch.Rollout.ID != rolloutID || !ch.Guard.Enabled {
			return nil
		}
		if !ch.LastTrip.IsZero() && tx.Now.Sub(ch.LastTrip) < time.Duration(ch.Guard.CooldownS)*time.Second {
			return nil
		}
		ch.LastTrip = tx.Now
		r := ch.Rollout
		action, bundle, acted = ch.Guard.Action, r.Bundle, true
		event := "guard_" + action
		switch action {
		case release.GuardPause:
			if r.State == release.RolloutPaused {
				// Already paused: record the trip, nothing else to do.
				event = "guard_notify"
			}
			r.State = release.RolloutPaused
		case release.GuardRollback:
			r.State, r.PercentBP = release.RolloutRolledBack, 0
		}
		r.UpdatedAt = tx.Now
		tx.Channel(ch, release.HistoryEntry{At: tx.Now, Event: event, Bundle: r.Bundle, PercentBP: r.PercentBP, Reason: v.Reason})
		if action == release.GuardNotify {
			tx.Quiet(ch) // what the channel serves did not change
		}
		return nil
	})
	if err != nil {
		s.log.Error("guard: cannot persist trip; state unchanged", "app_id", appID, "channel_id", channelID, "err", err)
		return
	}
	if !acted {
		return
	}
	ch := s.snap.Load().Apps[appID].ChannelByID(channelID)
	if s.cfg.Observer != nil {
		s.cfg.Observer.GuardTripped(appID, ch.Name, action)
	}
	s.log.Warn("guard tripped", "app_id", appID, "channel", ch.Name, "bundle", bundle, "action", action,
		"reason", v.Reason)
}

// restoreGuardWindows refills the windows of rollouts in progress from the
// stored events, so a restart does not forget recent failures.
func (s *State) restoreGuardWindows(ctx context.Context, snap *release.Snapshot) error {
	now := s.now()
	for _, app := range snap.Apps {
		type target struct {
			ch  *release.Channel
			win *guardWindow
		}
		var ts []target
		span := 0
		for _, ch := range app.Channels {
			if ch.Rollout.InProgress() {
				ts = append(ts, target{ch, s.tally.windowLocked(ch.ID, ch.Rollout.ID)})
				span = max(span, ch.Guard.WindowS)
			}
		}
		if len(ts) == 0 {
			continue
		}
		since := now.Add(-time.Duration(span) * time.Second)
		err := s.st.Events(ctx, app.ID, since, func(e store.Event) error {
			failure, ok := countsForGuard(e)
			if !ok {
				return nil
			}
			for _, t := range ts {
				if release.EventBundle(e.VersionName) == t.ch.Rollout.Bundle && !e.ReceivedAt.Before(t.ch.Rollout.StartedAt) {
					t.win.w.Add(e.ReceivedAt, failure)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// GuardStatus is the guard of a channel with its live window.
type GuardStatus struct {
	release.GuardConfig
	LastTripAt *time.Time      `json:"last_trip_at"`
	Window     release.Verdict `json:"window"`
}

// GuardStatus returns a channel's guard and the window it watches.
func (s *State) GuardStatus(ch *release.Channel) GuardStatus {
	out := GuardStatus{GuardConfig: ch.Guard, LastTripAt: TimePtr(ch.LastTrip)}
	if !ch.Rollout.InProgress() {
		return out
	}
	s.tally.mu.Lock()
	defer s.tally.mu.Unlock()
	win := s.tally.windowLocked(ch.ID, ch.Rollout.ID)
	cfg := ch.Guard
	cfg.Enabled = false // only measure
	out.Window = cfg.Evaluate(&win.w, s.now(), ch.LastTrip)
	return out
}

// TimePtr is t, or nil for the zero time (JSON null).
func TimePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
