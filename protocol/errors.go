package protocol

// Kind classifies an error reply of /updates; the plugin branches on it.
type Kind string

// The kinds the plugin knows.
const (
	KindUpToDate Kind = "up_to_date"
	KindBlocked  Kind = "blocked"
	KindFailed   Kind = "failed"
)

// Error codes of /updates, /stats and /channel_self, as the Capgo backend
// names them (supabase/functions/_backend/plugin_runtime/, commit
// 4bc7d83f85152e3cdb896afcc4e4420c0819882c).
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
	// CodeProviderBlocked: a request from a cloud provider's address range
	// for an app that blocks them.
	CodeProviderBlocked = "provider_infrastructure_request_blocked"

	// failed (/updates)
	CodeSemverError            = "semver_error"
	CodeMissingInfo            = "missing_info"
	CodeNoChannel              = "no_channel"
	CodeNoBundle               = "no_bundle"
	CodeNoBundleURL            = "no_bundle_url"
	CodeMisconfiguredChannel   = "misconfigured_channel"
	CodeUnsupportedPlugin      = "unsupported_plugin_version"
	CodeRevertPluginTooOld     = "revert_to_builtin_plugin_version_too_old"
	CodeOnPremiseApp           = "on_premise_app"
	CodeTooManyRequests        = "too_many_requests"
	CodeInvalidJSONBody        = "invalid_json_body"
	CodeInvalidJSONParse       = "invalid_json_parse_body"
	CodeInvalidQueryParameters = "invalid_query_parameters"
	CodeMissingDeviceID        = "missing_device_id"
	CodeMissingAppID           = "missing_app_id"
	// CodeUnknownError is the backend's reply to an unexpected exception
	// (500).
	CodeUnknownError = "unknown_error"
	CodeNotFound     = "not_found"

	// /stats
	CodeInvalidAppID    = "invalid_app_id"
	CodeMixedAppIDs     = "mixed_app_ids"
	CodeVersionNotFound = "version_not_found"
	CodeProcessingError = "processing_error"

	// /channel_self
	CodeMissingChannel         = "missing_channel"
	CodeChannelNotFound        = "channel_not_found"
	CodeChannelSelfSetNotAllow = "channel_self_set_not_allowed"
	CodePublicChannelSelfSet   = "public_channel_self_set_not_allowed"
	CodeCannotOverride         = "cannot_override"
	CodeOverrideNotAllowed     = "override_not_allowed"
	CodeInvalidPlatform        = "invalid_platform"

	// The reference server's own, beside the backend's: a body over its
	// limit, and a storage failure the client should retry.
	CodeBodyTooLarge = "body_too_large"
	CodeServerError  = "server_error"
)

// KindOf returns the kind a code of /updates belongs to, as the backend's
// getUpdateResponseKind (utils/update.ts:121-150): up_to_date and blocked
// codes are listed, every other code is a failure.
func KindOf(code string) Kind {
	switch code {
	case CodeNoNewVersion, CodeAlreadyOnBuiltin:
		return KindUpToDate
	case CodePrivateChannel, CodeDisabledPlatformIOS, CodeDisabledPlatformAndroid,
		CodeDisabledPlatformElectron, CodeDisableMajor, CodeDisableMinor,
		CodeDisablePatch, CodeDisableUnderNative, CodeDisableProdBuild,
		CodeDisableDevBuild, CodeDisableDevice, CodeDisableEmulator,
		CodeKeyIDMismatch, CodeDisableMetadata, CodeProviderBlocked:
		return KindBlocked
	}
	return KindFailed
}

// NewError builds an /updates error reply with the kind its code belongs
// to.
func NewError(code, message string) Error {
	return Error{Error: code, Message: message, Kind: KindOf(code)}
}
