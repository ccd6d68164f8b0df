package device

import "github.com/otasim/otasim/protocol"

// Defaults of the plugin and of the modelled app.
const (
	// AppReadyTimeout is the plugin's appReadyTimeout default (10 s,
	// src/definitions.ts:24).
	AppReadyTimeout int64 = 10_000
	// ReadyDelay is how long a healthy bundle takes, once loaded, to call
	// notifyAppReady.
	ReadyDelay int64 = 1_500
	// AppLoadDelay is when, after a cold start, the app's code makes its
	// own plugin calls (setChannel, getChannel, listChannels).
	AppLoadDelay int64 = 1_000
	// MaxBlock caps a 429's block (A/CapgoUpdater.java:129, 24 h).
	MaxBlock int64 = 86_400_000
)

// Machine runs the plugin's transitions against an Env.
type Machine struct {
	Env Env
}

// Launch is the first start of the app after its install.
func (m Machine) Launch(s *State, dev uint32, now int64) {
	s.set(FlagFreshInstall)
	m.Foreground(s, dev, now)
}

// Foreground is a move to the foreground, preceded by a cold start when
// the OS no longer keeps the app's process: the plugin posts
// app_moved_to_foreground and checks for an update
// (A/CapacitorUpdaterPlugin.java:5190 appMovedToForeground).
func (m Machine) Foreground(s *State, dev uint32, now int64) {
	if s.Has(FlagChurned) {
		return
	}
	s.set(FlagInSession | FlagJoined)
	s.LastSession = now
	s.SessK++
	if !s.Has(FlagProcess) {
		m.coldStart(s, dev, now)
	}
	m.Env.Stat(dev, protocol.ActionMovedToForeground, s.Running, None)
	m.check(s, dev, now)
}

// coldStart is the plugin's load() in a new process
// (A/CapacitorUpdaterPlugin.java:682): app_launch_start (:862), the
// running bundle loads and calls notifyAppReady, the periodic check timer
// starts (:4391), and the app's code runs.
func (m Machine) coldStart(s *State, dev uint32, now int64) {
	s.set(FlagProcess)
	s.clear(perProcess)
	s.ProcStart, s.ProcK, s.Mark = now, s.SessK, 0
	m.Env.Stat(dev, protocol.ActionAppLaunchStart, s.Running, None)
	m.load(s, dev, s.Running)
	b := m.Env.Behaviour(dev)
	if b.PeriodCheck > 0 && b.Mode != ModeOff {
		s.set(FlagPeriodicArmed)
		m.Env.After(dev, b.PeriodCheck, TimerPeriodic, s.ProcK)
	}
	if (b.SelfAssign && !s.Has(FlagChannelAsked)) || b.ChannelPicker {
		m.Env.After(dev, AppLoadDelay, TimerAppLoaded, s.ProcK)
	}
}

// load starts bundle b in the web view: a healthy bundle calls
// notifyAppReady, a broken one lets appReadyTimeout pass.
func (m Machine) load(s *State, dev uint32, b uint8) {
	if b != Builtin && m.Env.NotReady(dev, b) {
		m.Env.After(dev, m.Env.Platform(dev).AppReadyTimeout, TimerReadyTimeout, uint32(b))
		return
	}
	m.Env.After(dev, ReadyDelay, TimerReady, uint32(b))
}

// Background is a move to the background: app_moved_to_background, then a
// bundle set as next is installed (A/CapacitorUpdaterPlugin.java:5223,
// :5088 installNext). The OS keeps the process for a while.
func (m Machine) Background(s *State, dev uint32, now int64) {
	if !s.Has(FlagInSession) {
		return
	}
	s.clear(FlagInSession)
	m.Env.Stat(dev, protocol.ActionMovedToBackground, s.Running, None)
	m.installNext(s, dev, now)
	m.Env.After(dev, m.Env.Behaviour(dev).ProcessKeep, TimerProcessExit, s.SessK)
}

// Push is a server notification that the device's channel changed (an
// otasim extension): the device checks at once during a session.
func (m Machine) Push(s *State, dev uint32, now int64) {
	if s.Has(FlagInSession) {
		m.check(s, dev, now)
	}
}

// Timer handles the machine's own timers.
func (m Machine) Timer(s *State, dev uint32, now int64, kind uint8, arg uint32) {
	switch kind {
	case TimerReady:
		m.ready(s, dev, now, uint8(arg))
	case TimerReadyTimeout:
		m.readyTimeout(s, dev, now, uint8(arg))
	case TimerWindow:
		if s.Next == uint8(arg) && !s.Has(FlagNextStored) && m.Env.InWindow(dev, now) && !s.Has(FlagChurned) {
			m.apply(s, dev, s.Next)
		}
	case TimerPeriodic:
		m.periodic(s, dev, now, arg)
	case TimerProcessExit:
		if !s.Has(FlagInSession) && s.SessK == arg {
			s.clear(FlagProcess)
		}
	case TimerAppLoaded:
		if s.Has(FlagProcess) && s.ProcK == arg {
			m.appLoaded(s, dev, now)
		}
	}
}

// Churn uninstalls the app.
func (m Machine) Churn(s *State, dev uint32) {
	s.set(FlagChurned)
	s.clear(FlagInSession | FlagProcess)
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
