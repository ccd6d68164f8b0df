package device

import (
	"github.com/otasim/otasim/protocol"
)

// Defaults of the plugin.
const (
	// AppReadyTimeout is the plugin's appReadyTimeout (10 s).
	AppReadyTimeout int64 = 10_000
	// ReadyDelay is how long a healthy bundle takes to call
	// notifyAppReady after it starts.
	ReadyDelay int64 = 1_500
	// MaxRetryAfter caps a Retry-After (24 h).
	MaxRetryAfter int64 = 86_400_000
	// DefaultRetryAfter applies to a 429 without a usable Retry-After.
	DefaultRetryAfter int64 = 60_000
	// MaxRetries is how many times a failed check (5xx, network) is
	// retried with exponential backoff before waiting for the next
	// foreground.
	MaxRetries = 3
	// RetryBase is the first backoff delay; it doubles each retry.
	RetryBase int64 = 2_000
)

// Update modes, as population defines them.
const (
	ModeAtBackground uint8 = iota
	ModeAlways
	ModeOnLaunch
)

// CheckResult is a decoded /updates reply.
type CheckResult struct {
	// Status is the HTTP status, 0 for a network error.
	Status int
	// RetryAfter in ms from the header, -1 when absent.
	RetryAfter int64
	// Update: a bundle is offered (Bundle, Builtin for a reset).
	Update bool
	Bundle uint8
	// Code and Kind of an error reply.
	Code string
	Kind protocol.Kind
	// Invalid: the body could not be read as a reply.
	Invalid bool
}

// DownloadResult is the outcome of a bundle download.
type DownloadResult struct {
	Bundle uint8
	// OK: every byte arrived; ChecksumOK: their SHA-256 matched.
	OK, ChecksumOK bool
}

// ChannelResult is the outcome of POST /channel_self.
type ChannelResult struct {
	Status int
	OK     bool
	Code   string
}

// Machine runs the plugin's transitions against an Env.
type Machine struct {
	Env Env
}

// Launch is the first start of the app (cold start): the device joins,
// self-assigns its channel if its cohort says so, then behaves as on any
// move to the foreground.
func (m Machine) Launch(s *State, dev uint32, now int64) {
	s.set(FlagJoined)
	m.Foreground(s, dev, now)
}

// Foreground is a move to the foreground: a session starts and the device
// checks for an update.
func (m Machine) Foreground(s *State, dev uint32, now int64) {
	if s.Has(FlagChurned) {
		return
	}
	s.set(FlagInSession | FlagJoined)
	s.LastSession = now
	s.SessK++
	m.Env.Stat(dev, protocol.ActionMovedToForeground, s.Running, None)
	// A bundle waiting for its moment (onLaunch/always outside a window).
	if s.Next != None && m.Env.Mode(dev) != ModeAtBackground && m.Env.InWindow(dev, now) {
		m.apply(s, dev, now)
	}
	if m.Env.SelfAssign(dev) && !s.Has(FlagSelfAssigned) {
		if !s.Has(FlagChannelInFlight) && now >= s.BlockedUntil {
			s.set(FlagChannelInFlight)
			m.Env.Send(dev, ReqChannelSelf, 0)
		}
		return // the check follows the self-assign
	}
	m.check(s, dev, now)
}

// Background is a move to the background: the session ends, and in
// atBackground mode a downloaded bundle is applied.
func (m Machine) Background(s *State, dev uint32, now int64) {
	if !s.Has(FlagInSession) {
		return
	}
	s.clear(FlagInSession)
	m.Env.Stat(dev, protocol.ActionMovedToBackground, s.Running, None)
	if s.Next != None && m.Env.InWindow(dev, now) {
		m.apply(s, dev, now)
	}
}

// Push is a server notification that the device's channel changed: it
// checks at once (only during a session, when the socket is open).
func (m Machine) Push(s *State, dev uint32, now int64) {
	if s.Has(FlagInSession) {
		m.check(s, dev, now)
	}
}

// PeriodicCheck is the plugin's optional periodic check during a session.
func (m Machine) PeriodicCheck(s *State, dev uint32, now int64) { m.Push(s, dev, now) }

func (m Machine) check(s *State, dev uint32, now int64) {
	if s.Has(FlagCheckInFlight) || now < s.BlockedUntil {
		return
	}
	s.set(FlagCheckInFlight)
	m.Env.Send(dev, ReqCheck, 0)
}

// ChannelReply handles the /channel_self reply.
func (m Machine) ChannelReply(s *State, dev uint32, now int64, r ChannelResult) {
	s.clear(FlagChannelInFlight)
	switch {
	case r.OK:
		s.set(FlagSelfAssigned)
	case r.Status == 429:
		s.BlockedUntil = now + DefaultRetryAfter
		return
	case r.Status == 0 || r.Status >= 500:
		return // retried at the next foreground
	default:
		// Refused (e.g. channel_self_set_not_allowed): the plugin keeps
		// the default channel; do not ask again.
		s.set(FlagSelfAssigned)
		m.Env.Note(dev, Note{Kind: NoteReply, Code: r.Code})
	}
	if s.Has(FlagInSession) {
		m.check(s, dev, now)
	}
}

// CheckReply handles the /updates reply.
func (m Machine) CheckReply(s *State, dev uint32, now int64, r CheckResult) {
	s.clear(FlagCheckInFlight)
	switch {
	case r.Status == 429:
		wait := r.RetryAfter
		if wait < 0 {
			wait = DefaultRetryAfter
		}
		wait = min(wait, MaxRetryAfter)
		s.BlockedUntil = now + wait
		s.Retries = 0
		m.Env.Note(dev, Note{Kind: NoteRateLimited, Arg: wait})
		m.Env.Stat(dev, protocol.ActionRateLimitReached, s.Running, None)
		return
	case r.Status == 0 || r.Status >= 500 || r.Status == 408:
		if s.Retries >= MaxRetries {
			s.Retries = 0
			m.Env.Note(dev, Note{Kind: NoteGaveUp})
			return
		}
		delay := RetryBase << s.Retries
		s.Retries++
		m.Env.After(dev, delay, TimerRetryCheck, 0)
		return
	}
	s.Retries = 0
	if r.Invalid || (!r.Update && r.Code == "") {
		m.Env.Note(dev, Note{Kind: NoteReply, Code: "invalid_reply"})
		return
	}
	if !r.Update {
		switch r.Kind {
		case protocol.KindUpToDate, protocol.KindBlocked, protocol.KindFailed:
			m.Env.Note(dev, Note{Kind: NoteReply, Code: r.Code})
		default:
			// The plugin treats a reply without a known kind as a failure.
			m.Env.Note(dev, Note{Kind: NoteReply, Code: r.Code})
			m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
		}
		return
	}
	b := r.Bundle
	if b == Builtin {
		if s.Running != Builtin {
			old := s.Running
			s.Running, s.Fallback = Builtin, Builtin
			s.clear(FlagAwaitReady)
			m.abandonNext(s, dev)
			m.Env.Stat(dev, protocol.ActionReset, Builtin, old)
			m.Env.Note(dev, Note{Kind: NoteReset})
		}
		return
	}
	if b == s.Running || b == s.Next || b == s.Downloading {
		return
	}
	if s.IsFailed(b) {
		m.Env.Note(dev, Note{Kind: NoteSkippedFailed, Bundle: b})
		return
	}
	if s.Offered != b {
		s.Offered, s.OfferedAt = b, now
	}
	if s.Downloading != None {
		return // one download at a time
	}
	s.Downloading = b
	m.Env.Stat(dev, protocol.ActionDownloadZipStart, b, None)
	m.Env.Note(dev, Note{Kind: NoteAttempt, Bundle: b})
	s.set(FlagAttempt)
	m.Env.Send(dev, ReqDownload, b)
}

// DownloadDone handles the end of a download.
func (m Machine) DownloadDone(s *State, dev uint32, now int64, r DownloadResult) {
	if s.Downloading != r.Bundle {
		return
	}
	b := r.Bundle
	s.Downloading = None
	switch {
	case !r.OK:
		m.Env.Stat(dev, protocol.ActionDownloadFail, b, None)
		m.fail(s, dev, b, protocol.ActionDownloadFail)
		return
	case !r.ChecksumOK:
		m.Env.Stat(dev, protocol.ActionChecksumFail, b, None)
		m.Env.Stat(dev, protocol.ActionDownloadFail, b, None)
		m.fail(s, dev, b, protocol.ActionChecksumFail)
		return
	}
	m.Env.Stat(dev, protocol.ActionDownloadComplete, b, None)
	m.abandonNext(s, dev)
	s.Next = b
	s.set(FlagAttempt)
	if m.Env.Mode(dev) != ModeAtBackground && m.Env.InWindow(dev, now) {
		m.apply(s, dev, now)
		return
	}
	m.Env.Stat(dev, protocol.ActionSetNext, b, None)
	m.awaitWindow(s, dev, now)
}

// awaitWindow schedules the apply of a waiting bundle at the opening of
// the device's maintenance window, when it has one and is outside it.
func (m Machine) awaitWindow(s *State, dev uint32, now int64) {
	if s.Next == None || m.Env.InWindow(dev, now) {
		return
	}
	if d := m.Env.UntilWindow(dev, now); d > 0 {
		m.Env.After(dev, d, TimerWindow, uint32(s.Next))
	}
}

// abandonNext drops a downloaded bundle that a newer one replaces.
func (m Machine) abandonNext(s *State, dev uint32) {
	if s.Next != None {
		m.Env.Note(dev, Note{Kind: NoteAbandon, Bundle: s.Next})
		s.Next = None
	}
}

func (m Machine) fail(s *State, dev uint32, b uint8, action string) {
	s.clear(FlagAttempt)
	m.Env.Note(dev, Note{Kind: NoteFailure, Bundle: b, Action: action})
}

// apply starts the Next bundle: `set`, then the app has appReadyTimeout to
// call notifyAppReady.
func (m Machine) apply(s *State, dev uint32, now int64) {
	b := s.Next
	s.Next = None
	if s.Has(FlagAwaitReady) {
		// The previous bundle had not proved itself: it is not a fallback.
		s.clear(FlagAwaitReady)
	}
	old := s.Running
	s.Running = b
	s.set(FlagAwaitReady)
	m.Env.Stat(dev, protocol.ActionSet, b, old)
	if m.Env.NotReady(dev, b) {
		m.Env.After(dev, AppReadyTimeout, TimerReadyTimeout, uint32(b))
	} else {
		m.Env.After(dev, ReadyDelay, TimerReady, uint32(b))
	}
}

// Timer handles the machine's own timers.
func (m Machine) Timer(s *State, dev uint32, now int64, kind uint8, arg uint32) {
	b := uint8(arg)
	switch kind {
	case TimerReady:
		if s.Running != b || !s.Has(FlagAwaitReady) {
			return
		}
		s.clear(FlagAwaitReady)
		s.Fallback = b
		m.Env.Stat(dev, protocol.ActionAppLaunchReady, b, None)
		if s.Has(FlagAttempt) && s.Next == None && s.Downloading == None {
			s.clear(FlagAttempt)
		}
		wait := int64(0)
		if s.Offered == b {
			wait = now - s.OfferedAt
		}
		m.Env.Note(dev, Note{Kind: NoteSuccess, Bundle: b, Arg: wait})
	case TimerReadyTimeout:
		if s.Running != b || !s.Has(FlagAwaitReady) {
			return
		}
		s.clear(FlagAwaitReady)
		if b < MaxBundles {
			s.Failed |= 1 << b
		}
		m.Env.Stat(dev, protocol.ActionAppLaunchTimeout, b, None)
		m.Env.Stat(dev, protocol.ActionUpdateFail, b, None)
		m.fail(s, dev, b, protocol.ActionUpdateFail)
		s.Running = s.Fallback
		m.Env.Stat(dev, protocol.ActionSet, s.Running, b)
		m.Env.Note(dev, Note{Kind: NoteRevert, Bundle: s.Running})
	case TimerRetryCheck:
		m.check(s, dev, now)
	case TimerWindow:
		if s.Next == b && m.Env.InWindow(dev, now) && !s.Has(FlagChurned) {
			m.apply(s, dev, now)
		}
	}
}

// Churn uninstalls the app.
func (m Machine) Churn(s *State, dev uint32) {
	s.set(FlagChurned)
	s.clear(FlagInSession)
	if s.Downloading != None || s.Next != None || s.Has(FlagAwaitReady) {
		b := s.Downloading
		if b == None {
			b = s.Next
		}
		if b == None {
			b = s.Running
		}
		s.Downloading, s.Next = None, None
		s.clear(FlagAwaitReady | FlagAttempt)
		m.Env.Note(dev, Note{Kind: NoteAbandon, Bundle: b})
	}
}
