package refserver

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
)

// Messages of the backend's schemas (utils/utils.ts:29-53).
const (
	msgMissingAppID         = "App ID is required"
	msgNonStringAppID       = "App ID must be a string"
	msgInvalidAppID         = "App ID must be a reverse domain string"
	msgMissingDeviceID      = "Device ID is required"
	msgNonStringDeviceID    = "Device ID must be a string"
	msgInvalidDeviceID      = "Device ID must be a valid UUID string"
	msgMissingVersionName   = "Version name is required"
	msgNonStringVersionName = "Version name must be a string"
	msgMissingVersionBuild  = "Version build is required"
	msgNonStringBuild       = "Version build must be a string"
	msgMissingVersionOS     = "Version OS is required"
	msgNonStringVersionOS   = "Version OS must be a string"
	msgMissingPlatform      = "Platform is required"
	msgNonStringPlatform    = "Platform must be a string"
	msgInvalidPlugin        = "Plugin version is invalid"
	msgMissingPlugin        = "plugin_version is required"
	msgInvalidPlatform      = "Platform is not supported or invalid"
)

// schema names the backend's validation of one endpoint
// (utils/plugin_validation.ts:314-367).
type schema uint8

const (
	updateSchema      schema = iota // POST /updates
	statsSchema                     // one /stats event
	channelSelfSchema               // POST, PUT, DELETE /channel_self
	channelListSchema               // GET /channel_self
)

// rejection is a reply the backend gives before deciding anything: an
// exception its error handler turns into {"error","message","moreInfo"}
// without a kind (utils/on_error.ts:127-202).
type rejection struct {
	status   int
	code     string
	message  string
	moreInfo any // nil: {}
	// jsError is the message of the JavaScript exception behind a crash,
	// which an event of a /stats batch reports as a processing_error.
	jsError string
}

// crash is the backend's reply to an exception that is not its own: a 500
// (utils/on_error.ts:227-250); what is the exception's message.
func crash(what string) *rejection {
	return &rejection{status: http.StatusInternalServerError, code: protocol.CodeUnknownError, message: "Unknown error", jsError: what}
}

// issue is one problem the schema found, as the backend's makeIssue
// (utils/schema_validation.ts:28-34).
type issue struct {
	Message string   `json:"message"`
	Path    []string `json:"path"`
	Code    string   `json:"code"`
}

// schemaInfo is the moreInfo of a schema failure: the backend's
// { parseResult } (utils/plugin_parser.ts:80-83).
type schemaInfo struct {
	ParseResult struct {
		Success bool `json:"success"`
		Error   struct {
			Name   string  `json:"name"`
			Issues []issue `json:"issues"`
		} `json:"error"`
	} `json:"parseResult"`
}

// parseOpts says how parsePluginBody reads an endpoint's body.
type parseOpts struct {
	schema        schema
	invalidCode   string // invalid_json_body, or invalid_query_parameters for a query
	requireDevice bool
}

// parsePluginBody checks and normalizes a body as the backend's
// parsePluginBody (utils/plugin_parser.ts:56-85): an empty body; the device
// id; the app id; the native version, coerced to semver (semver_error);
// absent booleans defaulted (not an emulator, a prod build); a version_name
// of builtin read as the version_build; then the endpoint's schema. A nil
// result means the body is valid and wb normalized.
func parsePluginBody(wb *wireBody, o parseOpts) *rejection {
	// !body, or no app_id, no device_id and no key at all.
	if !wb.AppID.set() && !wb.DeviceID.set() && !wb.keys {
		return &rejection{status: http.StatusBadRequest, code: o.invalidCode, message: "Cannot parse body"}
	}
	if o.requireDevice && !wb.DeviceID.truth {
		return &rejection{status: http.StatusBadRequest, code: protocol.CodeMissingDeviceID, message: "Cannot find device_id"}
	}
	if !wb.AppID.truth {
		return &rejection{status: http.StatusBadRequest, code: protocol.CodeMissingAppID, message: "Cannot find app_id"}
	}
	if vb := &wb.VersionBuild; vb.truth && !(vb.isString() && release.IsPlainSemver(vb.str)) && !(vb.kind == jsArray && vb.plain) {
		if !vb.isString() {
			// fixSemver calls version.match on a number, boolean or object.
			return crash("version?.match is not a function")
		}
		n, ok := release.NormalizeBuild(vb.str)
		if !ok {
			return &rejection{status: http.StatusBadRequest, code: protocol.CodeSemverError,
				message:  "Native version: " + vb.str + " doesn't follow semver convention, please check https://capgo.app/semver_tester/ to learn more about semver usage in Capgo",
				moreInfo: map[string]string{"version_build": vb.str}}
		}
		*vb = jsField{kind: jsString, str: n, truth: n != ""}
	}
	wb.IsEmulator = wb.IsEmulator.orNullish(false)
	wb.IsProd = wb.IsProd.orNullish(true)
	if wb.VersionName.truth && wb.VersionName.isString() && wb.VersionName.str == protocol.Builtin {
		wb.VersionName = wb.VersionBuild
	}
	if issues := validate(wb, o.schema); len(issues) > 0 {
		var mi schemaInfo
		mi.ParseResult.Error.Name, mi.ParseResult.Error.Issues = "SchemaError", issues
		return &rejection{status: http.StatusBadRequest, code: o.invalidCode, message: "Cannot parse body", moreInfo: mi}
	}
	return nil
}

// validator collects the issues of one body.
type validator struct{ issues []issue }

func (v *validator) add(path, msg string) {
	v.issues = append(v.issues, issue{Message: msg, Path: []string{path}, Code: "custom"})
}

// str checks a required string: missing, or not a string.
func (v *validator) str(f jsField, path, missing, nonString string) bool {
	switch {
	case !f.set():
		v.add(path, missing)
	case !f.isString():
		v.add(path, nonString)
	default:
		return true
	}
	return false
}

func (v *validator) optional(f jsField, path string, maxLen int) {
	switch {
	case !f.set():
	case !f.isString():
		v.add(path, path+" must be a string")
	case maxLen > 0 && release.UTF16Len(f.str) > maxLen:
		v.add(path, "String must contain at most "+strconv.Itoa(maxLen)+" character(s)")
	}
}

func (v *validator) boolean(f jsField, path string) {
	if f.kind != jsBool {
		v.add(path, path+" must be a boolean")
	}
}

func (v *validator) appID(f jsField) {
	if v.str(f, "app_id", msgMissingAppID, msgNonStringAppID) && !release.MatchesAppID(f.str) {
		v.add("app_id", msgInvalidAppID)
	}
}

func (v *validator) deviceID(f jsField) {
	if !v.str(f, "device_id", msgMissingDeviceID, msgNonStringDeviceID) {
		return
	}
	switch {
	case release.UTF16Len(f.str) > protocol.MaxDeviceIDLen:
		v.add("device_id", "String must contain at most 36 character(s)")
	case !release.ValidDeviceID(f.str):
		v.add("device_id", msgInvalidDeviceID)
	}
}

func (v *validator) nonEmpty(f jsField, path, missing, nonString string, allowEmpty bool) {
	if v.str(f, path, missing, nonString) && !allowEmpty && f.str == "" {
		v.add(path, missing)
	}
}

func (v *validator) platform(f jsField) {
	switch {
	case !f.set():
		v.add("platform", msgMissingPlatform)
	case !f.isString() || (f.str != protocol.PlatformIOS && f.str != protocol.PlatformAndroid && f.str != protocol.PlatformElectron):
		v.add("platform", msgInvalidPlatform)
	}
}

func (v *validator) pluginVersion(f jsField) {
	switch {
	case !f.set():
		v.add("plugin_version", msgMissingPlugin)
	case !f.isString():
		v.add("plugin_version", msgInvalidPlugin)
	default:
		if _, ok := release.ParseSemver(f.str); !ok && !release.IsPlainSemver(f.str) {
			v.add("plugin_version", msgInvalidPlugin)
		}
	}
}

func (v *validator) installSource(f jsField) {
	switch {
	case !f.set():
	case !f.isString():
		v.add("install_source", "install_source must be a string")
	case release.UTF16Len(f.str) > protocol.MaxInstallSourceLen:
		v.add("install_source", "String must contain at most 64 character(s)")
	}
}

func (v *validator) action(f jsField) {
	switch {
	case !f.set():
	case !f.isString():
		v.add("action", "action must be a string")
	case !protocol.KnownAction(f.str):
		v.add("action", "action must be one of: "+allowedActions())
	}
}

// validate runs an endpoint's schema in the backend's order of checks.
func validate(wb *wireBody, s schema) []issue {
	var v validator
	switch s {
	case updateSchema:
		v.appID(wb.AppID)
		v.deviceID(wb.DeviceID)
		v.nonEmpty(wb.VersionName, "version_name", msgMissingVersionName, msgNonStringVersionName, false)
		v.nonEmpty(wb.VersionBuild, "version_build", msgMissingVersionBuild, msgNonStringBuild, false)
		v.boolean(wb.IsEmulator, "is_emulator")
		v.boolean(wb.IsProd, "is_prod")
		v.platform(wb.Platform)
		v.pluginVersion(wb.PluginVersion)
		v.optional(wb.DefaultChannel, "defaultChannel", 0)
		v.installSource(wb.InstallSource)
		v.optional(wb.KeyID, "key_id", protocol.MaxKeyIDLen)
	case statsSchema:
		v.appID(wb.AppID)
		v.deviceID(wb.DeviceID)
		v.str(wb.Platform, "platform", msgMissingPlatform, msgNonStringPlatform)
		v.nonEmpty(wb.VersionName, "version_name", msgMissingVersionName, msgNonStringVersionName, true)
		v.str(wb.VersionOS, "version_os", msgMissingVersionOS, msgNonStringVersionOS)
		v.boolean(wb.IsEmulator, "is_emulator")
		v.boolean(wb.IsProd, "is_prod")
		v.optional(wb.DefaultChannel, "defaultChannel", 0)
		v.optional(wb.Channel, "channel", 0)
		v.optional(wb.OldVersionName, "old_version_name", 0)
		v.optional(wb.VersionCode, "version_code", 0)
		v.optional(wb.PluginVersion, "plugin_version", 0)
		v.installSource(wb.InstallSource)
		v.optional(wb.CustomID, "custom_id", protocol.MaxCustomIDLen)
		v.optional(wb.KeyID, "key_id", protocol.MaxKeyIDLen)
		v.action(wb.Action)
		v.metadata(wb.Metadata)
		v.optional(wb.VersionBuild, "version_build", 0)
	case channelSelfSchema:
		v.appID(wb.AppID)
		v.deviceID(wb.DeviceID)
		v.nonEmpty(wb.VersionName, "version_name", msgMissingVersionName, msgNonStringVersionName, true)
		v.nonEmpty(wb.VersionBuild, "version_build", msgMissingVersionBuild, msgNonStringBuild, true)
		v.boolean(wb.IsEmulator, "is_emulator")
		v.boolean(wb.IsProd, "is_prod")
		v.platform(wb.Platform)
		v.optional(wb.DefaultChannel, "defaultChannel", 0)
		v.optional(wb.Channel, "channel", 0)
		v.optional(wb.PluginVersion, "plugin_version", 0)
		v.installSource(wb.InstallSource)
		v.optional(wb.KeyID, "key_id", protocol.MaxKeyIDLen)
	case channelListSchema:
		v.appID(wb.AppID)
		v.boolean(wb.IsEmulator, "is_emulator")
		v.boolean(wb.IsProd, "is_prod")
		v.platform(wb.Platform)
		v.optional(wb.KeyID, "key_id", protocol.MaxKeyIDLen)
	}
	return v.issues
}

// allowedActions is the list the backend quotes when an action is refused.
func allowedActions() string {
	var b strings.Builder
	for i, a := range protocol.KnownActions() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a)
	}
	return b.String()
}

// info returns the info object of a valid, normalized body.
func (wb *wireBody) info() protocol.Info {
	return protocol.Info{
		Platform: wb.Platform.str, DeviceID: wb.DeviceID.str, AppID: wb.AppID.str,
		CustomID: wb.CustomID.str, VersionBuild: wb.VersionBuild.str, VersionCode: wb.VersionCode.str,
		VersionOS: wb.VersionOS.str, VersionName: wb.VersionName.str, PluginVersion: wb.PluginVersion.str,
		IsEmulator: wb.IsEmulator.truth, IsProd: wb.IsProd.truth, InstallSource: wb.InstallSource.str,
		DefaultChannel: wb.DefaultChannel.str, KeyID: wb.KeyID.str,
	}
}
