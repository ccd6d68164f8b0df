package refserver

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
)

// wireInfo decodes the info object and tells an absent boolean from false
// (the outer fields shadow the embedded ones of the same JSON name).
type wireInfo struct {
	protocol.Info
	IsEmulator *bool `json:"is_emulator"`
	IsProd     *bool `json:"is_prod"`
}

// info returns the info object with the backend's defaults for absent
// booleans (older plugins omit them): not an emulator, a prod build.
func (wi *wireInfo) info() protocol.Info {
	in := wi.Info
	in.IsEmulator = wi.IsEmulator != nil && *wi.IsEmulator
	in.IsProd = wi.IsProd == nil || *wi.IsProd
	in.DeviceID = strings.ToLower(in.DeviceID)
	return in
}

// infoCheck is what is wrong with an info object: invalid values (a 400
// invalid_json_body) and missing fields (missing_info).
type infoCheck struct {
	invalid []string
	missing []string
}

func (c infoCheck) invalidMsg() string { return strings.Join(c.invalid, "; ") }
func (c infoCheck) missingMsg() string { return "missing " + strings.Join(c.missing, ", ") }

// fieldSet says which fields an endpoint requires.
type fieldSet struct {
	versionBuild, pluginVersion bool
}

// checkInfo validates an info object as the backend's schemas do.
func checkInfo(wi *wireInfo, need fieldSet) infoCheck {
	var c infoCheck
	in := &wi.Info
	req := func(name, v string) {
		if v == "" {
			c.missing = append(c.missing, name)
		}
	}
	req("app_id", in.AppID)
	req("device_id", in.DeviceID)
	req("platform", in.Platform)
	if need.versionBuild {
		req("version_build", in.VersionBuild)
		req("version_name", in.VersionName)
	}
	if need.pluginVersion {
		req("plugin_version", in.PluginVersion)
	}
	if in.AppID != "" && !release.ValidAppID(in.AppID) {
		c.invalid = append(c.invalid, fmt.Sprintf("app_id %.64q is not a reverse-domain id", in.AppID))
	}
	if len(in.DeviceID) > protocol.MaxDeviceIDLen {
		c.invalid = append(c.invalid, fmt.Sprintf("device_id must have at most %d characters", protocol.MaxDeviceIDLen))
	}
	switch in.Platform {
	case "", protocol.PlatformIOS, protocol.PlatformAndroid, protocol.PlatformElectron:
	default:
		c.invalid = append(c.invalid, fmt.Sprintf("platform %.32q must be ios, android or electron", in.Platform))
	}
	if in.PluginVersion != "" {
		if _, ok := release.ParseVersion(in.PluginVersion); !ok {
			c.invalid = append(c.invalid, fmt.Sprintf("plugin_version %.32q is not semver", in.PluginVersion))
		}
	}
	if len(in.InstallSource) > protocol.MaxInstallSourceLen {
		c.invalid = append(c.invalid, fmt.Sprintf("install_source must have at most %d characters", protocol.MaxInstallSourceLen))
	}
	if len(in.KeyID) > protocol.MaxKeyIDLen {
		c.invalid = append(c.invalid, fmt.Sprintf("key_id must have at most %d characters", protocol.MaxKeyIDLen))
	}
	if len(in.CustomID) > 36 {
		c.invalid = append(c.invalid, "custom_id must have at most 36 characters")
	}
	return c
}

// jsonProblem words a decoding error for the client without echoing the
// body.
func jsonProblem(err error) string {
	if msg, ok := jsonProblemV2(err); ok {
		return msg
	}
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at offset %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %s must be %s, not %s", e.Field, e.Type, e.Value)
	}
	return "invalid JSON body"
}
