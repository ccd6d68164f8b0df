package protocol

import (
	"slices"
	"strings"
)

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

// MaxStatsBatch is the plugin's stats queue: it posts at most this many
// events at once (the backend sets no limit on a batch).
const MaxStatsBatch = 200

// Metadata limits the backend enforces (plugin_validation.ts:43-45), in
// UTF-16 code units as JavaScript counts them.
const (
	MaxMetadataKeys     = 30
	MaxMetadataKeyLen   = 64
	MaxMetadataValueLen = 2048
)

// StatsReply answers POST /stats. Results is set for a batch (a JSON array).
type StatsReply struct {
	Status  string        `json:"status"`
	Results []StatsResult `json:"results,omitempty"`
}

// StatsResult is the outcome of one event of a batch.
type StatsResult struct {
	Status   string            `json:"status"`
	Error    string            `json:"error,omitempty"`
	Message  string            `json:"message,omitempty"`
	Index    int               `json:"index"`
	MoreInfo map[string]string `json:"moreInfo,omitempty"`
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

	ActionManifestStart        = "download_manifest_start"
	ActionManifestDone         = "download_manifest_complete"
	ActionManifestFileFail     = "download_manifest_file_fail"
	ActionManifestChecksumFail = "download_manifest_checksum_fail"
	ActionManifestBrotliFail   = "download_manifest_brotli_fail"

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

// KnownActions is the backend's ALLOWED_STATS_ACTIONS
// (plugins/stats_actions.ts:4-96), in its order.
func KnownActions() [91]string { return knownActions }

// knownActions is KnownActions' table, read-only. KnownAction reads it in
// place: building the array at each call was a 1.5 KB copy for every stats
// event the server checks.
var knownActions = [...]string{"ping", "delete", "reset", "set", "get", "set_fail", "update_fail",
	"download_fail", "windows_path_fail", "canonical_path_fail",
	"directory_path_fail", "unzip_fail", "low_mem_fail", "download_0",
	"download_10", "download_20", "download_30", "download_40", "download_50",
	"download_60", "download_70", "download_80", "download_90",
	"download_complete", "download_manifest_start", "download_manifest_complete",
	"download_zip_start", "download_zip_complete", "download_manifest_file_fail",
	"download_manifest_checksum_fail", "download_manifest_brotli_fail",
	"finish_download_fail", "manifest_path_fail", "decrypt_fail",
	"checksum_required", "insufficient_disk_space", "app_moved_to_foreground",
	"app_moved_to_background", "app_launch_start", "app_launch_ready",
	"app_launch_timeout", "uninstall", "needPlanUpgrade", "missingBundle", "noNew",
	"disablePlatformIos", "disablePlatformAndroid", "disableAutoUpdateToMajor",
	"cannotUpdateViaPrivateChannel", "disableAutoUpdateToMinor",
	"disableAutoUpdateToPatch", "channelMisconfigured", "disableAutoUpdateMetadata",
	"disableAutoUpdateUnderNative", "disableDevBuild", "disableProdBuild",
	"disableEmulator", "disableDevice", "cannotGetBundle", "checksum_fail",
	"NoChannelOrOverride", "setChannel", "getChannel", "rateLimited",
	"rate_limit_reached", "disableAutoUpdate", "keyMismatch", "InvalidIp",
	"blocked_by_server_url", "backend_refusal", "disablePlatformElectron",
	"customIdBlocked", "app_crash", "app_crash_native", "app_anr",
	"app_killed_low_memory", "app_killed_excessive_resource_usage",
	"app_initialization_failure", "app_memory_warning", "webview_javascript_error",
	"webview_unhandled_rejection", "webview_resource_error",
	"webview_security_policy_violation", "webview_unclean_restart",
	"webview_render_process_gone", "webview_content_process_terminated",
	"webview_dom_content_loaded", "webview_page_loaded", "set_next",
	"os_version_changed", "native_app_version_changed"}

// KnownAction reports whether the backend accepts an action.
func KnownAction(action string) bool {
	return slices.Contains(knownActions[:], action)
}

// IsFailure reports whether an action counts as a failure of its bundle:
// every action ending in _fail does (plugins/stats.ts:183).
func IsFailure(action string) bool { return strings.HasSuffix(action, "_fail") }
