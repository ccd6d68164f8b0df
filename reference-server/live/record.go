package live

import (
	"context"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/store"
)

// Record stores stats events of an app with the count changes they make,
// then adds the counts and feeds the guards; infos[i] is the info object
// of events[i]. It returns only once the events are committed, so an
// acknowledged event survives a crash; on error nothing was counted.
func (s *State) Record(ctx context.Context, appID string, events []store.Event, deltas []store.CountDelta, infos []protocol.Info) error {
	if len(events) == 0 {
		return nil
	}
	for i := range events {
		e := &events[i]
		e.VersionName, e.OldVersionName = clip(e.VersionName), clip(e.OldVersionName)
		e.VersionBuild, e.Platform = clip(e.VersionBuild), clip(e.Platform)
	}
	// Not the request's context: a client that hangs up must not leave
	// events committed to disk but missing from the in-memory counts.
	if err := s.st.WriteEvents(context.WithoutCancel(ctx), events, deltas); err != nil {
		return err
	}
	s.tally.addCounts(deltas)
	s.feedGuards(appID, events, infos)
	return nil
}
