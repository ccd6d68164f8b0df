package device

import "github.com/otasim/otasim/protocol"

// apply sets bundle b and reloads: `set` (A/CapgoUpdater.java:1803, :1838
// for a direct update), then the bundle has appReadyTimeout to call
// notifyAppReady (A/CapacitorUpdaterPlugin.java:3003 _reload).
func (m Machine) apply(s *State, dev uint32, b uint8) {
	if s.Next == b {
		s.Next = None
		s.clear(FlagNextStored)
	}
	old := s.Running
	s.Running = b
	s.set(FlagAwaitReady)
	m.Env.Stat(dev, protocol.ActionSet, b, old)
	m.load(s, dev, b)
}

// reset goes back to the builtin bundle on the server's word: `reset`
// (A/CapgoUpdater.java:1779), even on the builtin already.
func (m Machine) reset(s *State, dev uint32) {
	old := s.Running
	m.abandonNext(s, dev, Builtin)
	s.Running, s.Fallback, s.Next = Builtin, Builtin, None
	s.clear(FlagAwaitReady | FlagNextStored)
	m.Env.Stat(dev, protocol.ActionReset, Builtin, old)
	m.Env.Note(dev, Note{Kind: NoteReset})
}

// installNext applies the bundle set as next at a move to the background
// (A/CapacitorUpdaterPlugin.java:5088), inside the maintenance window.
func (m Machine) installNext(s *State, dev uint32, now int64) {
	b := s.Next
	if b == None || s.Has(FlagNextStored) || b == s.Running || s.IsFailed(b) || !m.Env.InWindow(dev, now) {
		return
	}
	if b == Builtin {
		m.reset(s, dev)
		return
	}
	m.apply(s, dev, b)
}

// ready is notifyAppReady (A/CapacitorUpdaterPlugin.java:4461): the bundle
// is marked a success and becomes the fallback, the previous fallback is
// deleted (autoDeletePrevious, A/CapgoUpdater.java:1897), and
// app_launch_ready is reported once per process.
func (m Machine) ready(s *State, dev uint32, now int64, b uint8) {
	if s.Running != b || !s.Has(FlagProcess) {
		return
	}
	if s.Has(FlagAwaitReady) {
		s.clear(FlagAwaitReady)
		if prev := s.Fallback; prev != Builtin && prev != b && prev != s.Next {
			m.Env.Stat(dev, protocol.ActionDelete, prev, None)
		}
		s.Fallback = b
		if s.Has(FlagAttempt) && s.Next == None && s.Downloading == None {
			s.clear(FlagAttempt)
		}
		wait := int64(0)
		if s.Offered == b {
			wait = now - s.OfferedAt
		}
		m.Env.Note(dev, Note{Kind: NoteSuccess, Bundle: b, Arg: wait})
	}
	timedOut := m.Env.Platform(dev).TimeoutOnce && s.Has(FlagLaunchTimeout)
	if !s.Has(FlagLaunchReady) && !timedOut {
		s.set(FlagLaunchReady)
		m.Env.Stat(dev, protocol.ActionAppLaunchReady, b, None)
	}
}

// readyTimeout is checkRevert (A/CapacitorUpdaterPlugin.java:5120,
// I/CapacitorUpdaterPlugin.swift:3353): the bundle never called
// notifyAppReady; app_launch_timeout and update_fail, back to the
// fallback (`set` with the builtin as old, since the reset clears the
// current bundle first, A/CapgoUpdater.java:1768) or silently to the
// builtin, and the failed bundle is deleted (autoDeleteFailed) so that it
// can be offered and tried again.
func (m Machine) readyTimeout(s *State, dev uint32, now int64, b uint8) {
	if s.Running != b || !s.Has(FlagAwaitReady) {
		return
	}
	s.clear(FlagAwaitReady)
	p := m.Env.Platform(dev)
	if !p.TimeoutOnce || s.Flags&(FlagLaunchReady|FlagLaunchTimeout) == 0 {
		s.set(FlagLaunchTimeout)
		m.Env.Stat(dev, protocol.ActionAppLaunchTimeout, b, None)
	}
	m.Env.Stat(dev, protocol.ActionUpdateFail, b, None)
	m.fail(s, dev, b, protocol.ActionUpdateFail)
	fb := s.Fallback
	m.abandonNext(s, dev, None)
	s.Next = None
	s.clear(FlagNextStored)
	s.Fallback = Builtin
	if fb != Builtin && fb != b {
		s.Running = fb
		s.set(FlagAwaitReady)
		m.Env.Stat(dev, protocol.ActionSet, fb, Builtin)
		m.load(s, dev, fb)
	} else {
		s.Running = Builtin
	}
	m.Env.Note(dev, Note{Kind: NoteRevert, Bundle: s.Running})
	if m.Env.Behaviour(dev).KeepFailed {
		if b < MaxBundles {
			s.Failed |= 1 << b
		}
		return
	}
	m.Env.Stat(dev, protocol.ActionDelete, b, None)
}
