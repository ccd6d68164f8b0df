package device

import "github.com/otasim/otasim/protocol"

// CheckResult is an /updates reply as the plugin reads it
// (A/CapgoUpdater.java:2219 makeJsonRequest, I/CapgoUpdater.swift:1039).
type CheckResult struct {
	// Status is the HTTP status, 0 when no reply came (network error,
	// timeout).
	Status int
	// Block is a 429's retry hint in ms (0: none).
	Block int64
	// Code is the reply's error ("" without one).
	Code string
	// Kind is the outcome when no bundle is offered: up_to_date, blocked
	// or failed (network errors, timeouts, 429, 5xx, bodies that are not
	// the protocol's and kinds the plugin does not know are failed).
	Kind protocol.Kind
	// Update: a version is offered (Bundle; Builtin for "builtin").
	Update bool
	Bundle uint8
	// NoURL: the offer has no valid url.
	NoURL bool
	// Manifest: the offer carries a per-file manifest.
	Manifest bool
}

// setsNext reports whether the mode sets a downloaded bundle as next
// (A/CapacitorUpdaterPlugin.java:2254 shouldAutoSetNextBundle).
func setsNext(mode uint8) bool { return mode != ModeOnlyDownload && mode != ModeOff }

// planDirect is shouldUseDirectUpdate (A/CapacitorUpdaterPlugin.java:2092,
// I/CapacitorUpdaterPlugin.swift:3859), asked when a check starts:
// atInstall is direct once after a fresh install, onLaunch until the first
// check of the process ends, always every time.
func (m Machine) planDirect(s *State, dev uint32) bool {
	switch m.Env.Behaviour(dev).Mode {
	case ModeAlways:
		return true
	case ModeAtInstall:
		if s.Has(FlagFreshInstall) {
			s.clear(FlagFreshInstall)
			return true
		}
	case ModeOnLaunch:
		return !s.Has(FlagOnLaunchUsed)
	}
	return false
}

// check is backgroundDownload (A/CapacitorUpdaterPlugin.java:4751): ask
// /updates unless updates are off; during a 429 block the plugin answers
// itself with a failure (A/CapgoUpdater.java:2351).
func (m Machine) check(s *State, dev uint32, now int64) {
	if m.Env.Behaviour(dev).Mode == ModeOff || s.Has(FlagCheckInFlight) {
		return
	}
	if m.Env.Platform(dev).BusyBlocksCheck && s.Downloading != None {
		return
	}
	direct := m.planDirect(s, dev)
	if s.Blocked(now) {
		m.endCheck(s, dev, direct)
		m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
		return
	}
	s.set(FlagCheckInFlight)
	s.clear(FlagCheckDirect | FlagCheckPeriodic)
	if direct {
		s.set(FlagCheckDirect)
	}
	m.Env.Send(dev, ReqCheck, 0)
}

// periodic is the periodic check timer's tick.
func (m Machine) periodic(s *State, dev uint32, now int64, proc uint32) {
	if proc != s.ProcK || !s.Has(FlagProcess|FlagPeriodicArmed) || s.Has(FlagChurned) {
		return
	}
	b := m.Env.Behaviour(dev)
	m.Env.After(dev, b.PeriodCheck, TimerPeriodic, proc)
	if !s.Has(FlagInSession) && !m.Env.Platform(dev).PeriodicInBackground {
		return
	}
	if s.Blocked(now) || s.Has(FlagCheckInFlight) {
		return // the plugin's getLatest fails at once; the tick reads nothing
	}
	s.set(FlagCheckInFlight | FlagCheckPeriodic)
	s.clear(FlagCheckDirect)
	m.Env.Send(dev, ReqCheck, 0)
}

// endCheck is what endBackGroundTaskWithNotif does for every check
// (A/CapacitorUpdaterPlugin.java:4698): onLaunch's direct update is used.
func (m Machine) endCheck(s *State, dev uint32, direct bool) {
	if direct && m.Env.Behaviour(dev).Mode == ModeOnLaunch {
		s.set(FlagOnLaunchUsed)
	}
}

// RateLimited handles a 429 from any endpoint
// (A/CapgoUpdater.java:2010 checkAndHandleRateLimitResponse,
// I/CapgoUpdater.swift:516): one block for the whole app, from the retry
// hint only (no hint, no block), at most 24 h; rate_limit_reached once per
// process, as a single object, for too_many_requests.
func (m Machine) RateLimited(s *State, dev uint32, now, block int64, code string) {
	if block > 0 {
		if until := now + min(block, MaxBlock); until > s.BlockedUntil {
			s.BlockedUntil = until
		}
	}
	m.Env.Note(dev, Note{Kind: NoteRateLimited, Arg: block})
	if (code == "" || code == protocol.CodeTooManyRequests) && !s.Has(FlagRateStat) {
		s.set(FlagRateStat)
		m.Env.Post(dev, protocol.ActionRateLimitReached, s.Running)
	}
}

// PostFailed gives back rate_limit_reached's claim when it did not get
// through, so that a later 429 sends it again (A/CapgoUpdater.java:2133).
func (m Machine) PostFailed(s *State, action string) {
	if action == protocol.ActionRateLimitReached {
		s.clear(FlagRateStat)
	}
}

// CheckReply handles the /updates reply.
func (m Machine) CheckReply(s *State, dev uint32, now int64, r CheckResult) {
	direct, periodic := s.Has(FlagCheckDirect), s.Has(FlagCheckPeriodic)
	s.clear(FlagCheckInFlight | FlagCheckDirect | FlagCheckPeriodic)
	if r.Status == 429 {
		m.RateLimited(s, dev, now, r.Block, r.Code)
	}
	if periodic {
		m.periodicReply(s, dev, now, r)
		return
	}
	m.endCheck(s, dev, direct)
	if !r.Update {
		// Errors first (A/CapacitorUpdaterPlugin.java:4784): only a
		// failure is reported, as download_fail of the running bundle.
		if r.Kind != protocol.KindUpToDate && r.Kind != protocol.KindBlocked {
			m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
		}
		return
	}
	if r.Bundle == Builtin {
		m.builtinReply(s, dev, now, direct)
		return
	}
	if r.NoURL && !r.Manifest {
		m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
		return
	}
	m.offer(s, dev, now, r.Bundle, direct, r.Manifest)
}

// periodicReply: the periodic tick only goes on to a full check
// (Platform.RecheckOnError says when); it reports nothing itself.
func (m Machine) periodicReply(s *State, dev uint32, now int64, r CheckResult) {
	recheck := r.Update && (r.Bundle != s.Running || !m.Env.Platform(dev).RecheckOnError)
	if !r.Update && m.Env.Platform(dev).RecheckOnError {
		recheck = true
	}
	if recheck {
		m.check(s, dev, now)
	}
}

// builtinReply: {"version":"builtin"} resets at once in a direct update,
// else sets the builtin as next (A/CapacitorUpdaterPlugin.java:4838).
func (m Machine) builtinReply(s *State, dev uint32, now int64, direct bool) {
	mode := m.Env.Behaviour(dev).Mode
	switch {
	case direct:
		m.reset(s, dev)
	case setsNext(mode):
		m.abandonNext(s, dev, Builtin)
		s.Next = Builtin
		s.clear(FlagNextStored)
		m.Env.Stat(dev, protocol.ActionSetNext, Builtin, s.Running)
	}
}

// offer handles a bundle offered (A/CapacitorUpdaterPlugin.java:4893):
// the running one needs nothing; one in error is refused with
// download_fail; one on the device is applied or set as next again; one
// being fetched is left alone; any other is downloaded.
func (m Machine) offer(s *State, dev uint32, now int64, b uint8, direct, manifest bool) {
	if b == s.Running {
		return
	}
	if s.Offered != b {
		s.Offered, s.OfferedAt = b, now
	}
	if s.IsFailed(b) {
		m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
		return
	}
	if b == s.Next || (b == s.Fallback && b != Builtin) {
		m.stored(s, dev, now, b, direct)
		return
	}
	if s.Downloading != None {
		return // the same version is already downloading (A/CapgoUpdater.java:1395); one at a time
	}
	m.startDownload(s, dev, b, direct, manifest)
}
