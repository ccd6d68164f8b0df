package sim

import (
	"time"

	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/population"
	"github.com/otasim/otasim/sim/sched"
)

// Sessions: a session starts with a move to the foreground (the first
// launch of a joining device), lasts its drawn length and ends with a move
// to the background; the next one is drawn from the device's own stream.

func (e *engine) sessionStart(i uint32, s *device.State, at int64) {
	if s.Has(device.FlagChurned) {
		return
	}
	a := &e.attrs[i]
	if !s.Has(device.FlagJoined) {
		// First launch of a new user: it now runs the builtin bundle.
		e.running[a.Cohort][device.Builtin]++
		e.ran[i] |= 1
		e.m.Launch(s, i, at)
	} else {
		e.m.Foreground(s, i, at)
	}
	length := e.pop.SessionLength(i, a, s.SessK)
	e.q.Push(sched.Event{At: at + length, Device: i, Kind: evSessionEnd, Arg: s.SessK})
	c := &e.pop.Cohorts[a.Cohort]
	if c.Push {
		e.pushConnect(i, s)
	}
}

// Session ends wait for the device's requests in flight (at most
// maxDefer), when the modelled network says they end within the session:
// at speed > 1 the server's real latency counts speed times over in
// virtual time, and must not make the user leave before an answer that,
// in the modelled world, came in time.
const (
	maxDefer   = 10 * 60 * 1000
	forcedFlag = 1 << 31
)

func (e *engine) sessionEndEvent(i uint32, s *device.State, ev sched.Event) {
	if !s.Has(device.FlagInSession) || s.SessK != ev.Arg&^forcedFlag {
		return
	}
	sd := e.side.get(i)
	if ev.Arg&forcedFlag == 0 && sd != nil && sd.busy > 0 && sd.modelledUntil <= ev.At {
		sd.waiting, sd.endAt = true, ev.At
		e.q.Push(sched.Event{At: ev.At + maxDefer, Device: i, Kind: evSessionEnd, Arg: s.SessK | forcedFlag})
		return
	}
	scheduled := ev.At
	if sd != nil && sd.waiting {
		scheduled = sd.endAt
	}
	e.sessionEnd(i, s, ev.At, scheduled)
}

// endDeferred ends a session that waited for the device's requests.
func (e *engine) endDeferred(i uint32, s *device.State) {
	if sd := e.side.get(i); sd != nil && sd.waiting && sd.busy == 0 {
		e.sessionEnd(i, s, max(e.curAt, sd.endAt), sd.endAt)
	}
}

// sessionEnd ends the session at virtual time at; the next session is
// drawn from the scheduled end, so the intended schedule does not depend
// on the server's answers.
func (e *engine) sessionEnd(i uint32, s *device.State, at, scheduled int64) {
	if sd := e.side.get(i); sd != nil && sd.waiting {
		sd.waiting, sd.endAt = false, 0
		e.side.release(i)
	}
	if !s.Has(device.FlagInSession) {
		return
	}
	a := &e.attrs[i]
	c := &e.pop.Cohorts[a.Cohort]
	if c.Push {
		e.pushDisconnect(i)
	}
	length := at - s.LastSession
	rate := e.bundles.errorRate(s.Running)
	jsErr := rate > 0 && e.pop.Uniform(i, population.PurposeUser+3, uint64(s.SessK)) < rate
	e.rec.Session(int(a.Cohort), e.bundles.name(s.Running), time.Duration(length)*time.Millisecond, jsErr)
	e.m.Background(s, i, at)
	next, ctr := e.pop.NextSession(i, a, scheduled, s.SessCtr)
	s.SessCtr = ctr
	next = max(next, at+1)
	if next < e.endMs && next < a.ChurnAt {
		e.q.Push(sched.Event{At: next, Device: i, Kind: evSessionStart})
	}
}
