package device

// Request kinds the machine asks the engine to send.
const (
	ReqCheck uint8 = iota + 1
	ReqDownload
	ReqChannelSelf
)

// Timer kinds the machine schedules (the engine's own kinds start at
// FirstEngineTimer).
const (
	TimerReady uint8 = iota + 1
	TimerReadyTimeout
	TimerRetryCheck
	// TimerWindow: the maintenance window opens; a waiting bundle is
	// applied (the device management relaunches the app in the window).
	TimerWindow
	FirstEngineTimer = 16
)

// Note kinds: what the engine's metrics learn from a transition.
const (
	// NoteAttempt: a download of Bundle started (an update attempt).
	NoteAttempt uint8 = iota + 1
	// NoteSuccess: Bundle started and called notifyAppReady; Arg is the
	// install time in ms since its first offer.
	NoteSuccess
	// NoteFailure: the attempt on Bundle failed with Action.
	NoteFailure
	// NoteAbandon: the attempt on Bundle was superseded by a newer
	// bundle (neither success nor failure).
	NoteAbandon
	// NoteReply: a check got an error reply of Code (up_to_date,
	// blocked or failed kinds), or "invalid_reply".
	NoteReply
	// NoteRateLimited: a 429; Arg is the wait in ms.
	NoteRateLimited
	// NoteRevert: the device went back to Bundle after a failed launch.
	NoteRevert
	// NoteReset: the server told the device to reset to builtin.
	NoteReset
	// NoteGaveUp: retries exhausted for a check.
	NoteGaveUp
	// NoteSkippedFailed: the server offered a bundle marked in error.
	NoteSkippedFailed
)

// Note is one metric note.
type Note struct {
	Kind   uint8
	Bundle uint8
	Action string
	Code   string
	Arg    int64
}

// Env is what a device sees of the engine: its cohort's behaviour, the
// deterministic defect draws, and the effects of a transition.
type Env interface {
	// Mode is the device's update mode (population.Mode*).
	Mode(dev uint32) uint8
	// InWindow reports whether updates may be applied now (maintenance
	// windows).
	InWindow(dev uint32, now int64) bool
	// UntilWindow is how long (ms) until the device's maintenance window
	// next opens; 0 inside it, -1 when the device has none.
	UntilWindow(dev uint32, now int64) int64
	// SelfAssign reports whether the device self-assigns a channel at
	// first launch.
	SelfAssign(dev uint32) bool
	// NotReady reports whether bundle b, started on this device, never
	// calls notifyAppReady (a deterministic draw per device and bundle).
	NotReady(dev uint32, b uint8) bool

	// Send asks for a request; arg is the bundle of a download.
	Send(dev uint32, kind uint8, arg uint8)
	// Stat queues a stats event about version (and old).
	Stat(dev uint32, action string, version, old uint8)
	// After schedules a timer delay ms from now.
	After(dev uint32, delay int64, kind uint8, arg uint32)
	// Note tells the metrics.
	Note(dev uint32, n Note)
}
