package release

import (
	"net/http"

	"github.com/otasim/otasim/protocol"
)

// Request is what Decide needs to answer one /updates call: the device's
// info object (device id already lowercased) and its per-device channel
// override, if any.
type Request struct {
	Info     protocol.Info
	Override string
}

// Decision is the answer to one /updates call.
type Decision struct {
	// Status is the HTTP status of the reply: 200, or 429 for an unknown app.
	Status int
	// Update is set when a bundle is offered; Err otherwise.
	Update *protocol.UpdateAvailable
	// Offered is the bundle Update offers.
	Offered *Bundle
	Err     protocol.Error
	// Channel and Bundle name what was resolved, for logs and metrics; both
	// may be empty when the decision came before resolution.
	Channel string
	Bundle  string
}

func refuse(code, msg string) Decision {
	return Decision{Status: http.StatusOK, Err: protocol.NewError(code, msg)}
}

func (d Decision) with(version, old string) Decision {
	d.Err.Version, d.Err.Old = version, old
	return d
}

// MissingInfo lists the required info fields that are empty, in the order
// the backend names them.
func MissingInfo(in protocol.Info) []string {
	var out []string
	for _, f := range [...]struct{ name, v string }{
		{"app_id", in.AppID}, {"device_id", in.DeviceID}, {"version_name", in.VersionName},
		{"version_build", in.VersionBuild}, {"platform", in.Platform},
	} {
		if f.v == "" {
			out = append(out, f.name)
		}
	}
	return out
}

// Decide answers an /updates call from a snapshot, in the decision order of
// the Capgo backend: app known; required fields; native version is semver;
// channel resolved; channel has a bundle; device already on it; platform
// enabled; disable_auto_update against the native version (major, then the
// private-channel check, then minor, patch, minimum native version);
// disable_auto_update_under_native; prod/dev builds; devices/emulators;
// builtin. It never fails: every outcome is a reply.
func Decide(s *Snapshot, r Request) Decision {
	in := r.Info
	app := s.Apps[in.AppID]
	if app == nil {
		return Decision{Status: http.StatusTooManyRequests,
			Err: protocol.NewError(protocol.CodeOnPremiseApp, "On-premise app detected")}
	}
	if miss := MissingInfo(in); len(miss) > 0 {
		return refuse(protocol.CodeMissingInfo, "Cannot find "+joinNames(miss))
	}
	native, ok := CoerceVersion(in.VersionBuild)
	if !ok {
		return refuse(protocol.CodeSemverError, "Native version: "+in.VersionBuild+" doesn't follow semver convention")
	}
	ch, viaOverride, ok := Resolve(app, in, r.Override)
	if !ok {
		return refuse(protocol.CodeNoChannel, "no default channel or override")
	}
	name := BundleFor(ch, in.DeviceID, in.VersionName)
	d := decideOnChannel(app, ch, viaOverride, name, in, native)
	d.Channel, d.Bundle = ch.Name, name
	return d
}

func decideOnChannel(app *App, ch *Channel, viaOverride bool, name string, in protocol.Info, native Version) Decision {
	b := app.Bundles[name]
	builtin := name == protocol.Builtin
	if b == nil || (!builtin && b.Path == "") {
		return refuse(protocol.CodeNoBundle, "Cannot get bundle")
	}
	current := in.VersionName
	if current == protocol.Builtin {
		current = in.VersionBuild
	}
	if current == name {
		return refuse(protocol.CodeNoNewVersion, "No new version available")
	}
	p := ch.Policy
	if !p.AllowsPlatform(in.Platform) {
		code := protocol.CodeDisabledPlatformAndroid
		switch in.Platform {
		case protocol.PlatformIOS:
			code = protocol.CodeDisabledPlatformIOS
		case protocol.PlatformElectron:
			code = protocol.CodeDisabledPlatformElectron
		}
		return refuse(code, "Cannot update, "+in.Platform+" is disabled").with(name, in.VersionName)
	}
	bv, semverName := ParseVersion(name)
	check := !builtin && semverName
	if check && p.DisableAutoUpdate == DisableMajor && bv.Major > native.Major {
		return refuse(protocol.CodeDisableMajor, "Cannot upgrade major version").with(name, in.VersionBuild)
	}
	if !p.AllowSelfSet && !p.Public && !viaOverride {
		return refuse(protocol.CodePrivateChannel, "Cannot update via a private channel "+ch.Name)
	}
	if check && p.DisableAutoUpdate == DisableMinor && (bv.Major != native.Major || bv.Minor != native.Minor) {
		return refuse(protocol.CodeDisableMinor, "Cannot upgrade minor version").with(name, in.VersionBuild)
	}
	if check && p.DisableAutoUpdate == DisablePatch &&
		(bv.Major != native.Major || bv.Minor != native.Minor || bv.Patch != native.Patch) {
		return refuse(protocol.CodeDisablePatch, "Cannot upgrade patch version").with(name, in.VersionBuild)
	}
	if !builtin && p.DisableAutoUpdate == DisableVersionNumber {
		min, ok := CoerceVersion(b.MinNative)
		if b.MinNative == "" || !ok {
			return refuse(protocol.CodeMisconfiguredChannel, "Channel "+ch.Name+" is misconfigured").with(name, in.VersionBuild)
		}
		if min.Compare(native) > 0 {
			return refuse(protocol.CodeDisableMetadata, "Cannot upgrade version, min update version > current version").with(name, in.VersionBuild)
		}
	}
	if check && p.DisableUnderNative && bv.Compare(native) < 0 {
		return refuse(protocol.CodeDisableUnderNative, "Cannot revert under native version").with(name, in.VersionName)
	}
	switch {
	case !p.AllowProd && in.IsProd:
		return refuse(protocol.CodeDisableProdBuild, "Cannot update, prod build is disabled").with(name, in.VersionName)
	case !p.AllowDev && !in.IsProd:
		return refuse(protocol.CodeDisableDevBuild, "Cannot update, dev build is disabled").with(name, in.VersionName)
	case !p.AllowDevice && !in.IsEmulator:
		return refuse(protocol.CodeDisableDevice, "Cannot update, device is disabled").with(name, in.VersionName)
	case !p.AllowEmulator && in.IsEmulator:
		return refuse(protocol.CodeDisableEmulator, "Cannot update, emulator is disabled").with(name, in.VersionName)
	}
	if builtin {
		d := refuse(protocol.CodeAlreadyOnBuiltin, "Already on builtin")
		if in.VersionName != protocol.Builtin {
			// The backend's way of telling a device to reset to builtin.
			d.Err.Version = protocol.Builtin
		}
		return d
	}
	return Decision{Status: http.StatusOK, Offered: b, Update: &protocol.UpdateAvailable{
		Version: name, URL: b.URL, Checksum: b.SHA256}}
}

// Resolve finds the channel of a device: its override wins; else its
// defaultChannel when that channel exists, serves the platform and is
// public or self-assignable (no fallback when it is not); else the first
// public channel serving the platform. viaOverride tells whether an
// override decided.
func Resolve(app *App, in protocol.Info, override string) (ch *Channel, viaOverride, ok bool) {
	if override != "" {
		if c := app.Channel(override); c != nil {
			return c, true, true
		}
	}
	if in.DefaultChannel != "" {
		c := app.Channel(in.DefaultChannel)
		if c == nil || !c.Policy.AllowsPlatform(in.Platform) || !(c.Policy.Public || c.Policy.AllowSelfSet) {
			return nil, false, false
		}
		return c, false, true
	}
	for _, c := range app.Channels {
		if c.Policy.Public && c.Policy.AllowsPlatform(in.Platform) {
			return c, false, true
		}
	}
	return nil, false, false
}

// BundleFor returns the bundle a channel serves a device: the rollout
// bundle when a running rollout selects the device, or when a paused one
// finds the device already running it; else the stable bundle.
func BundleFor(ch *Channel, deviceID, current string) string {
	r := ch.Rollout
	switch {
	case r == nil:
	case r.State == RolloutRunning && Selected(r.ID, deviceID, r.PercentBP):
		return r.Bundle
	case r.State == RolloutPaused && current == r.Bundle:
		return r.Bundle
	}
	return ch.Bundle
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
