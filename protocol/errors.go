package protocol

// Kind classifies an error reply; the plugin branches on it.
type Kind string

// The kinds the plugin knows.
const (
	KindUpToDate Kind = "up_to_date"
	KindBlocked  Kind = "blocked"
	KindFailed   Kind = "failed"
)

// Error codes of /updates, /stats and /channel_self.
const (
	// up_to_date
	CodeNoNewVersion     = "no_new_version_available"
	CodeAlreadyOnBuiltin = "already_on_builtin"

	// blocked
	CodePrivateChannel           = "cannot_update_via_private_channel"
	CodeDisabledPlatformIOS      = "disabled_platform_ios"
	CodeDisabledPlatformAndroid  = "disabled_platform_android"
	CodeDisabledPlatformElectron = "disabled_platform_electron"
	CodeDisableMajor             = "disable_auto_update_to_major"
	CodeDisableMinor             = "disable_auto_update_to_minor"
	CodeDisablePatch             = "disable_auto_update_to_patch"
	CodeDisableUnderNative       = "disable_auto_update_under_native"
	CodeDisableProdBuild         = "disable_prod_build"
	CodeDisableDevBuild          = "disable_dev_build"
	CodeDisableDevice            = "disable_device"
	CodeDisableEmulator          = "disable_emulator"
	CodeKeyIDMismatch            = "key_id_mismatch"
	// CodeDisableMetadata: the bundle's minimum native version is above the
	// device's (channel policy disable_auto_update "version_number").
	CodeDisableMetadata = "disable_auto_update_to_metadata"

	// failed
	CodeSemverError          = "semver_error"
	CodeMissingInfo          = "missing_info"
	CodeNoChannel            = "no_channel"
	CodeNoBundle             = "no_bundle"
	CodeNoBundleURL          = "no_bundle_url"
	CodeMisconfiguredChannel = "misconfigured_channel"
	CodeInvalidJSONBody      = "invalid_json_body"
	CodeOnPremiseApp         = "on_premise_app"
	CodeTooManyRequests      = "too_many_requests"
	CodeBodyTooLarge         = "body_too_large"
	CodeInvalidAction        = "invalid_action"
	CodeMixedAppIDs          = "mixed_app_ids"
	CodeTooManyEvents        = "too_many_events"
	CodeInvalidMetadata      = "invalid_metadata"
	CodeServerError          = "server_error"

	// /channel_self
	CodeMissingChannel         = "missing_channel"
	CodeChannelNotFound        = "channel_not_found"
	CodeChannelSelfSetNotAllow = "channel_self_set_not_allowed"
)

// KindOf returns the kind a code belongs to: up_to_date and blocked codes
// are listed, every other code is a failure.
func KindOf(code string) Kind {
	switch code {
	case CodeNoNewVersion, CodeAlreadyOnBuiltin:
		return KindUpToDate
	case CodePrivateChannel, CodeDisabledPlatformIOS, CodeDisabledPlatformAndroid,
		CodeDisabledPlatformElectron, CodeDisableMajor, CodeDisableMinor,
		CodeDisablePatch, CodeDisableUnderNative, CodeDisableProdBuild,
		CodeDisableDevBuild, CodeDisableDevice, CodeDisableEmulator,
		CodeKeyIDMismatch, CodeDisableMetadata:
		return KindBlocked
	}
	return KindFailed
}

// NewError builds an error reply with the kind its code belongs to.
func NewError(code, message string) Error {
	return Error{Error: code, Message: message, Kind: KindOf(code)}
}
