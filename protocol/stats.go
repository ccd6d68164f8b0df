package protocol

import "strings"

// StatsEvent is one event a device posts to /stats: the info object, the
// bundle the event is about (VersionName), the one it replaces, the action
// and when it happened.
type StatsEvent struct {
	Info
	OldVersionName string            `json:"old_version_name,omitempty"`
	Action         string            `json:"action"`
	Timestamp      int64             `json:"timestamp,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
}

// Batch and metadata limits.
const (
	MaxStatsBatch   = 200
	MaxMetadataKeys = 30
)

// StatsReply answers POST /stats. Results is set for a batch (a JSON array).
type StatsReply struct {
	Status  string        `json:"status"`
	Results []StatsResult `json:"results,omitempty"`
}

// StatsResult is the outcome of one event of a batch.
type StatsResult struct {
	Status  string `json:"status"`
	Index   int    `json:"index"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

// Stats actions the plugin sends.
const (
	ActionAppLaunchStart      = "app_launch_start"
	ActionAppLaunchReady      = "app_launch_ready"
	ActionAppLaunchTimeout    = "app_launch_timeout"
	ActionMovedToForeground   = "app_moved_to_foreground"
	ActionMovedToBackground   = "app_moved_to_background"
	ActionRateLimitReached    = "rate_limit_reached"
	ActionNativeVersionChange = "native_app_version_changed"
	ActionOSVersionChanged    = "os_version_changed"

	ActionDownload10       = "download_10"
	ActionDownloadComplete = "download_complete"
	ActionDownloadZipStart = "download_zip_start"
	ActionDownloadZipDone  = "download_zip_complete"
	ActionDownloadFail     = "download_fail"
	// ActionFinishDownloadFail: Android, after a checksum or unzip failure
	// of a downloaded bundle.
	ActionFinishDownloadFail = "finish_download_fail"

	ActionChecksumRequired = "checksum_required"
	ActionChecksumFail     = "checksum_fail"
	ActionDecryptFail      = "decrypt_fail"
	ActionUnzipFail        = "unzip_fail"

	ActionSet        = "set"
	ActionSetNext    = "set_next"
	ActionSetFail    = "set_fail"
	ActionReset      = "reset"
	ActionDelete     = "delete"
	ActionUpdateFail = "update_fail"

	ActionAppCrash = "app_crash"
)

// KnownAction reports whether the backend accepts an action.
func KnownAction(action string) bool {
	switch action {
	case "app_launch_start", "app_launch_ready", "app_launch_timeout",
		"app_moved_to_foreground", "app_moved_to_background", "rate_limit_reached",
		"native_app_version_changed", "os_version_changed", "download_0", "download_10",
		"download_20", "download_30", "download_40", "download_50", "download_60",
		"download_70", "download_80", "download_90", "download_complete",
		"download_zip_start", "download_zip_complete", "download_manifest_start",
		"download_manifest_complete", "download_fail", "finish_download_fail",
		"download_manifest_file_fail", "download_manifest_checksum_fail",
		"low_mem_fail", "insufficient_disk_space", "checksum_required",
		"checksum_fail", "decrypt_fail", "unzip_fail", "set", "set_next",
		"set_fail", "reset", "delete", "update_fail", "app_crash",
		"app_crash_native", "app_anr", "app_killed_low_memory",
		"app_initialization_failure", "webview_javascript_error", "get",
		"get_channel", "set_channel", "ping", "uninstall", "blocked_by_server_url",
		"disableAutoUpdateToMajor", "disableAutoUpdateToMinor",
		"disableAutoUpdateToPatch", "disableAutoUpdateMetadata",
		"disableAutoUpdateUnderNative", "disablePlatformIos",
		"disablePlatformAndroid", "channelMisconfigured", "needPlanUpgrade",
		"missingBundle", "noNew", "cannotGetBundle",
		"cannotUpdateViaPrivateChannel", "NoChannelOrOverride", "keyMismatch",
		"InvalidIp", "disableProdBuild", "disableDevBuild", "disableDevice",
		"disableEmulator", "disableElectron":
		return true
	}
	return false
}

// IsFailure reports whether an action counts as a failure of its bundle:
// every action ending in _fail does.
func IsFailure(action string) bool { return strings.HasSuffix(action, "_fail") }
