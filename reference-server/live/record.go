package live

import (
	"context"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/store"
)

// Record stores stats events of an app with the count changes they make
// (each event's Counts), then adds the counts and feeds the guards;
// infos[i] is the info object of events[i]. It returns only once the
// events are committed, so an acknowledged event survives a crash; on
// error nothing was counted. dup[i] reports that events[i] was a retry of
// an event stored already: it is acknowledged, and counted once, as it was
// the first time (dup is nil when none was). store.ErrBusy and
// store.ErrFailing ask the caller to come back later.
func (s *State) Record(ctx context.Context, appID string, events []store.Event, infos []protocol.Info) (dup []bool, err error) {
	if len(events) == 0 {
		return nil, nil
	}
	for i := range events {
		e := &events[i]
		e.VersionName, e.OldVersionName = clip(e.VersionName), clip(e.OldVersionName)
		e.VersionBuild, e.Platform = clip(e.VersionBuild), clip(e.Platform)
	}
	// Not the request's context: a client that hangs up must not leave
	// events committed to disk but missing from the in-memory counts.
	dup, err = s.st.WriteEvents(context.WithoutCancel(ctx), events)
	if err != nil {
		return nil, err
	}
	if dup != nil {
		var keptEvents []store.Event
		var keptInfos []protocol.Info
		for i := range events {
			if !dup[i] {
				keptEvents, keptInfos = append(keptEvents, events[i]), append(keptInfos, infos[i])
			}
		}
		events, infos = keptEvents, keptInfos
	}
	for i := range events {
		s.tally.addCounts(events[i].Counts)
	}
	s.feedGuards(appID, events, infos)
	return dup, nil
}

// StatsQueue returns the events waiting for the stats writer, and whether
// its last commit failed.
func (s *State) StatsQueue() (pending int64, failing bool) { return s.st.Pending(), s.st.Failing() }

// WriterStats returns the stats writer's counts (retries recognised,
// retry windows shortened).
func (s *State) WriterStats() store.WriterStats { return s.st.Stats() }
