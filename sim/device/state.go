// Package device holds a virtual device's compact state and the plugin's
// (capacitor-updater v8) behaviour as pure transitions: given the state and
// an event or a server reply, it updates the state and emits effects
// (requests to send, stats events to queue, timers, metric notes) through
// the Env the engine provides. Nothing here does I/O or reads a clock.
package device

// Builtin is the bundle index of the bundle inside the native app; other
// indexes are assigned by the engine (at most MaxBundles).
const (
	Builtin    uint8 = 0
	None       uint8 = 0xFF
	MaxBundles       = 64
)

// Never is a time (ms) that never comes.
const Never int64 = 1<<63 - 1

// Flags of a device.
const (
	FlagInSession uint16 = 1 << iota
	// FlagJoined: the app has been launched at least once.
	FlagJoined
	// FlagSelfAssigned: the device's channel self-assign succeeded.
	FlagSelfAssigned
	// FlagAwaitReady: a bundle started and has not called notifyAppReady.
	FlagAwaitReady
	FlagCheckInFlight
	FlagChannelInFlight
	// FlagAttempt: an update attempt (a download started) is open.
	FlagAttempt
	// FlagChurned: the app was uninstalled.
	FlagChurned
)

// State is one device, kept small (a million of them live in one slice).
// Times are ms since the start of the run.
type State struct {
	// LastSession is the start of the latest session (negative before
	// the run), Never when the app was never launched.
	LastSession int64
	// BlockedUntil: after a 429, nothing is sent before this time.
	BlockedUntil int64
	// OfferedAt is when the server first offered Offered.
	OfferedAt int64
	// SessCtr is the position in the device's session stream; SessK the
	// number of sessions so far.
	SessCtr uint32
	SessK   uint32
	// Failed has bit b set when bundle b is marked in error (never
	// applied again).
	Failed uint64
	// Running is the bundle the app runs, Fallback the last good one,
	// Next the downloaded bundle waiting to be applied (None), Downloading
	// the bundle being fetched (None), Offered the last bundle offered.
	Running, Fallback, Next, Downloading, Offered uint8
	// Retries counts consecutive failed checks (backoff).
	Retries uint8
	Flags   uint16
}

// NewState returns the state of a device running the builtin bundle.
func NewState(lastSession int64) State {
	return State{LastSession: lastSession, Next: None, Downloading: None, Offered: None}
}

// Has reports whether all of flags are set.
func (s *State) Has(flags uint16) bool { return s.Flags&flags == flags }

func (s *State) set(f uint16)   { s.Flags |= f }
func (s *State) clear(f uint16) { s.Flags &^= f }

// IsFailed reports whether bundle b is marked in error.
func (s *State) IsFailed(b uint8) bool { return b < MaxBundles && s.Failed&(1<<b) != 0 }

// Active reports whether the device had a session within window ms of now.
func (s *State) Active(now, window int64) bool {
	return s.LastSession != Never && now-s.LastSession <= window && !s.Has(FlagChurned)
}
