// Package device holds a virtual device's compact state and the plugin's
// (capacitor-updater v8.51.14) behaviour as pure transitions: given the
// state and an event or a server reply, it updates the state and emits
// effects (requests to send, stats events to queue, timers, metric notes)
// through the Env the engine provides. Nothing here does I/O or reads a
// clock. What differs between Android and iOS is data (Platform), not a
// second machine.
//
// Plugin references are to Cap-go/capacitor-updater at e235d09 (8.51.14):
// A = android/src/main/java/ee/forgr/capacitor_updater/, I =
// ios/Sources/CapacitorUpdaterPlugin/.
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

// Flags of a device. Those marked "per process" are cleared at a cold
// start: the plugin keeps them in memory (A/CapacitorUpdaterPlugin.java
// fields launchReadyReported, onLaunchDirectUpdateUsed, ...).
const (
	FlagInSession uint32 = 1 << iota
	// FlagJoined: the app has been launched at least once.
	FlagJoined
	// FlagProcess: the app's process is alive (foreground or kept in the
	// background by the OS).
	FlagProcess
	// FlagFreshInstall: no check since the install (atInstall applies the
	// first update of a fresh install at once).
	FlagFreshInstall
	// FlagLaunchReady, FlagLaunchTimeout: app_launch_ready /
	// app_launch_timeout reported in this process (per process).
	FlagLaunchReady
	FlagLaunchTimeout
	// FlagOnLaunchUsed: onLaunch's direct update was used in this process.
	FlagOnLaunchUsed
	// FlagRateStat: rate_limit_reached was sent in this process.
	FlagRateStat
	// FlagAwaitReady: the running bundle was set and has not called
	// notifyAppReady (status pending).
	FlagAwaitReady
	FlagCheckInFlight
	// FlagCheckDirect: the check in flight was planned as a direct update
	// (shouldUseDirectUpdate when it was sent).
	FlagCheckDirect
	// FlagDownloadDirect: the download in flight applies at once.
	FlagDownloadDirect
	// FlagNextStored: Next is downloaded but not set as next (onlyDownload).
	FlagNextStored
	FlagChannelInFlight
	// FlagChannelAsked: the app's setChannel got an answer that is final
	// (accepted or refused); it does not ask again.
	FlagChannelAsked
	// FlagAttempt: an update attempt (a download started) is open.
	FlagAttempt
	// FlagChurned: the app was uninstalled.
	FlagChurned
	// FlagPeriodicArmed: the periodic check timer of this process runs.
	FlagPeriodicArmed
	// FlagCheckPeriodic: the check in flight is the periodic timer's
	// getLatest, whose reply is read apart (A/CapacitorUpdaterPlugin.java
	// :4391).
	FlagCheckPeriodic
	// FlagDownloadManifest: the download in flight is per-file (the offer
	// carried a manifest, which the plugin uses whenever there is one:
	// A/CapacitorUpdaterPlugin.java:5017, I/CapacitorUpdaterPlugin.swift
	// :4374).
	FlagDownloadManifest
)

// perProcess are the flags a cold start clears.
const perProcess = FlagLaunchReady | FlagLaunchTimeout | FlagOnLaunchUsed | FlagRateStat | FlagPeriodicArmed

// State is one device, kept small (a million of them live in one slice):
// 64 bytes. Times are ms since the start of the run.
type State struct {
	// LastSession is the start of the latest session (negative before
	// the run), Never when the app was never launched.
	LastSession int64
	// BlockedUntil: after a 429 with a retry hint, nothing goes to the
	// server before this time (one block for every endpoint).
	BlockedUntil int64
	// OfferedAt is when the server first offered Offered.
	OfferedAt int64
	// ProcStart is when the running process loaded the plugin.
	ProcStart int64
	// Failed has bit b set when bundle b is kept in error on the device
	// (only without autoDeleteFailed).
	Failed uint64
	// SessCtr is the position in the device's session stream; SessK the
	// number of sessions so far; ProcK the session that started the
	// running process (it names the process's timers).
	SessCtr, SessK, ProcK uint32
	Flags                 uint32
	// Running is the bundle the app runs, Fallback the last good one,
	// Next the downloaded bundle waiting to be applied (None), Downloading
	// the bundle being fetched (None), Offered the last bundle offered.
	Running, Fallback, Next, Downloading, Offered uint8
	// Mark is Android's lastNotifiedStatPercent: the highest download_NN
	// reported in this process (A/CapacitorUpdaterPlugin.java:2494).
	Mark uint8
	// Channel is the defaultChannel the device sends (an index the engine
	// gives names to; None for "").
	Channel uint8
}

// NewState returns the state of a device running the builtin bundle.
func NewState(lastSession int64) State {
	return State{LastSession: lastSession, Next: None, Downloading: None, Offered: None, Channel: None}
}

// Has reports whether all of flags are set.
func (s *State) Has(flags uint32) bool { return s.Flags&flags == flags }

func (s *State) set(f uint32)   { s.Flags |= f }
func (s *State) clear(f uint32) { s.Flags &^= f }

// IsFailed reports whether bundle b is kept in error.
func (s *State) IsFailed(b uint8) bool { return b < MaxBundles && s.Failed&(1<<b) != 0 }

// Active reports whether the device had a session within window ms of now.
func (s *State) Active(now, window int64) bool {
	return s.LastSession != Never && now-s.LastSession <= window && !s.Has(FlagChurned)
}

// Blocked reports whether a 429 block holds at now.
func (s *State) Blocked(now int64) bool { return now < s.BlockedUntil }
