package scenarios

// Fleet is the simulated population.
type Fleet struct {
	// Devices is the number of devices at the start of the run (new users
	// who join later come on top, see Segment.Join).
	Devices  int       `yaml:"devices"`
	Segments []Segment `yaml:"segments"`
}

// Segment is a group of users with its own behaviour.
type Segment struct {
	Name string `yaml:"name"`
	// Share of Fleet.Devices in this segment; shares sum to 1.
	Share float64 `yaml:"share"`

	// SessionsPerDay is the mean number of app sessions (moves to the
	// foreground) per day, spread over the day by Diurnal.
	SessionsPerDay float64 `yaml:"sessions_per_day"`
	// Diurnal is the daily activity curve: "default" (evening peak),
	// "flat", "office" (working hours), or 24 hourly weights.
	Diurnal Diurnal `yaml:"diurnal"`
	// TimezoneSpread spreads devices' local time over ±hours around UTC.
	TimezoneSpread float64 `yaml:"timezone_spread_hours"`
	// SessionLength is the distribution of a session's duration.
	SessionLength LogNormal `yaml:"session_length"`

	Platforms      map[string]float64 `yaml:"platforms"`       // ios/android → share
	NativeVersions map[string]float64 `yaml:"native_versions"` // version_build → share
	Networks       map[string]float64 `yaml:"networks"`        // profile name → share

	// Channel the devices use (sent as defaultChannel); empty: the
	// server's default. SelfAssign makes each device self-assign to that
	// channel through /channel_self at its first launch instead.
	Channel    string `yaml:"channel"`
	SelfAssign string `yaml:"self_assign"`

	// UpdateMode is the plugin's autoUpdate: atBackground (default),
	// atInstall, onLaunch, always, onlyDownload, off.
	UpdateMode string `yaml:"update_mode"`
	// DirectUpdate is the plugin's deprecated directUpdate (false, true,
	// atInstall, onLaunch, always): with autoUpdate true (update_mode
	// atBackground) it picks the update mode, as the plugin does.
	DirectUpdate string `yaml:"direct_update,omitempty"`
	// PeriodicCheck is periodCheckDelay: when set (at least 600s) the
	// plugin also checks this often while its process runs.
	PeriodicCheck Duration `yaml:"periodic_check"`
	// PluginVersion is the capacitor-updater version the devices run;
	// before 5.34 / 6.34 / 7.34 the server keeps their channel.
	PluginVersion string `yaml:"plugin_version"`
	// ProcessKeptFor is how long the OS keeps the app's process after a
	// move to the background; the next foreground after it is a cold
	// start (app_launch_start, onLaunch's direct update).
	ProcessKeptFor Duration `yaml:"process_kept_for"`
	// AutoDeleteFailed is the plugin's autoDeleteFailed (default true): a
	// bundle that missed notifyAppReady is deleted, so it is downloaded
	// and tried again if the server offers it again.
	AutoDeleteFailed *bool `yaml:"auto_delete_failed,omitempty"`
	// ChannelPicker: the app calls getChannel and listChannels at every
	// cold start.
	ChannelPicker bool `yaml:"channel_picker"`
	// Push keeps a WebSocket open during sessions so the device checks as
	// soon as its channel changes.
	Push bool `yaml:"push"`
	// MaintenanceWindow restricts applying updates to a daily local-time
	// window (enterprise devices).
	MaintenanceWindow *Window `yaml:"maintenance_window,omitempty"`

	// Join adds devices to this segment that install the app during the
	// run (new users), on top of its share of Fleet.Devices.
	Join *Join `yaml:"join,omitempty"`
	// ChurnPerDay is the share of the segment's devices that uninstall
	// per virtual day.
	ChurnPerDay float64 `yaml:"churn_per_day"`

	// Arms split the segment for an A/B experiment; each arm overrides
	// some of the segment's behaviour and is reported like a segment.
	Arms []Arm `yaml:"arms,omitempty"`
}

// Window is a daily local-time window, "HH:MM" to "HH:MM" (may wrap
// midnight).
type Window struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

// Join describes devices joining during the run.
type Join struct {
	// Devices is how many join (on top of the segment's share of
	// Fleet.Devices), spread uniformly between From and To; at least 1.
	Devices int      `yaml:"devices"`
	From    Duration `yaml:"from"`
	To      Duration `yaml:"to"` // default: the end of the run
}

// LogNormal is a duration distribution given by its median and 90th
// percentile.
type LogNormal struct {
	Median Duration `yaml:"median"`
	P90    Duration `yaml:"p90"`
}

// Arm is one side of an A/B experiment within a segment. Nil or zero
// fields keep the segment's value.
type Arm struct {
	Name          string    `yaml:"name"`
	Share         float64   `yaml:"share"` // of the segment; arms sum to 1
	UpdateMode    string    `yaml:"update_mode"`
	PeriodicCheck *Duration `yaml:"periodic_check,omitempty"`
	Push          *bool     `yaml:"push,omitempty"`
	Channel       string    `yaml:"channel"`
	SelfAssign    string    `yaml:"self_assign"`
}
