package device

// Request kinds the machine asks the engine to send.
const (
	ReqCheck uint8 = iota + 1
	ReqDownload
	// ReqChannelSet: POST /channel_self (setChannel).
	ReqChannelSet
	// ReqChannelGet: PUT /channel_self (getChannel).
	ReqChannelGet
	// ReqChannelList: GET /channel_self with the info as query (listChannels).
	ReqChannelList
	// ReqChannelUnset: DELETE /channel_self (unsetChannel of plugins that
	// keep the channel on the server).
	ReqChannelUnset
)

// Timer kinds the machine schedules (the engine's own kinds start at
// FirstEngineTimer).
const (
	// TimerReady: the started bundle calls notifyAppReady.
	TimerReady uint8 = iota + 1
	// TimerReadyTimeout: appReadyTimeout has passed (checkRevert).
	TimerReadyTimeout
	// TimerWindow: the maintenance window opens; a waiting bundle is
	// applied (the device management relaunches the app in the window).
	TimerWindow
	// TimerPeriodic: periodCheckDelay has passed; Arg names the process.
	TimerPeriodic
	// TimerProcessExit: the OS ends the process kept in the background;
	// Arg names the session it ended after.
	TimerProcessExit
	// TimerAppLoaded: the app's code runs after a cold start and makes
	// its channel calls.
	TimerAppLoaded
	FirstEngineTimer = 16
)

// Update modes: the plugin's autoUpdate (src/definitions.ts:80).
const (
	ModeAtBackground uint8 = iota
	ModeAlways
	ModeOnLaunch
	ModeAtInstall
	ModeOnlyDownload
	ModeOff
)

// Behaviour is how a cohort's app configures the plugin and uses it.
type Behaviour struct {
	Mode uint8
	// PeriodCheck is periodCheckDelay in ms (0: none; at least 600 s,
	// A/CapacitorUpdaterPlugin.java:2306).
	PeriodCheck int64
	// ProcessKeep is how long the OS keeps the app's process after a move
	// to the background; the next foreground after that is a cold start.
	ProcessKeep int64
	// SelfAssign: the app calls setChannel(channel, triggerAutoUpdate) at
	// its first launch until the server answers.
	SelfAssign bool
	// ChannelPicker: the app calls getChannel and listChannels at every
	// cold start (a channel picker screen).
	ChannelPicker bool
	// LegacyChannel: the plugin is older than 5.34 / 6.34 / 7.34 and the
	// server keeps the device's channel (backend plugins/channel_self.ts:26).
	LegacyChannel bool
	// KeepFailed is autoDeleteFailed false: a failed bundle stays on the
	// device in error and is never tried again.
	KeepFailed bool
}

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
	// NoteRateLimited: a 429; Arg is the block in ms.
	NoteRateLimited
	// NoteRevert: the device went back to Bundle after a failed launch.
	NoteRevert
	// NoteReset: the device went back to its builtin bundle on the
	// server's word.
	NoteReset
)

// Note is one metric note.
type Note struct {
	Kind   uint8
	Bundle uint8
	Action string
	Arg    int64
}

// Env is what a device sees of the engine: its cohort's behaviour and
// platform, the deterministic defect draws, and the effects of a
// transition.
type Env interface {
	Behaviour(dev uint32) *Behaviour
	Platform(dev uint32) *Platform
	// InWindow reports whether updates may be applied now (maintenance
	// windows).
	InWindow(dev uint32, now int64) bool
	// UntilWindow is how long (ms) until the device's maintenance window
	// next opens; 0 inside it, -1 when the device has none.
	UntilWindow(dev uint32, now int64) int64
	// NotReady reports whether bundle b, started on this device, never
	// calls notifyAppReady (a deterministic draw per device and bundle).
	NotReady(dev uint32, b uint8) bool

	// Send asks for a request; arg is the bundle of a download.
	Send(dev uint32, kind uint8, arg uint8)
	// Stat queues a stats event about version (old: None for "").
	Stat(dev uint32, action string, version, old uint8)
	// Post sends one stats event at once as a single object, outside the
	// queue, without retry.
	Post(dev uint32, action string, version uint8)
	// StatFile is a stats event about one file of bundle b's manifest (the
	// file-th entry of the offer): its version_name is "version:name",
	// the name in the form the plugin writes (FileName, FileTarget,
	// FileBase); post sends it as Post does.
	StatFile(dev uint32, action string, b uint8, file uint32, form uint8, post bool)
	// After schedules a timer delay ms from now.
	After(dev uint32, delay int64, kind uint8, arg uint32)
	// Note tells the metrics.
	Note(dev uint32, n Note)
}
