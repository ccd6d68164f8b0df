package release

import (
	"net/http"
	"strings"

	"github.com/otasim/otasim/protocol"
)

// Request is what Decide needs to answer one /updates call: the device's
// info object as the backend reads it (device id lowercased, version_build
// after NormalizeBuild, a version_name of builtin replaced by the
// version_build), its parsed plugin version and its channel override, if
// any.
type Request struct {
	Info     protocol.Info
	Plugin   Plugin
	Override string
}

// Refusal is an /updates reply without a bundle: the code, its message and
// the details the backend adds for that code.
type Refusal struct {
	Code, Message string
	// Major is set when an auto-update policy held a newer bundle back.
	Major        bool
	Version, Old string
	// DeviceKeyID and BundleKeyID come with key_id_mismatch.
	DeviceKeyID, BundleKeyID string
}

// Kind is the kind the plugin reads from a refusal.
func (r Refusal) Kind() protocol.Kind { return protocol.KindOf(r.Code) }

// Decision is the answer to one /updates call.
type Decision struct {
	// Status is the HTTP status of the reply: 200, or 429 for an unknown
	// app (then the reply carries no kind).
	Status int
	// Offer is the bundle offered; Refusal is set otherwise.
	Offer *Bundle
	// Metadata: the offer carries the bundle's link and comment; Manifest:
	// its per-file manifest.
	Metadata, Manifest bool
	Refusal            Refusal
	// Channel and Bundle name what was resolved, for logs and metrics; both
	// may be empty when the decision came before resolution.
	Channel string
	Bundle  string
}

func refuse(code, msg string) Decision {
	return Decision{Status: http.StatusOK, Refusal: Refusal{Code: code, Message: msg}}
}

func (d Decision) with(version, old string) Decision {
	d.Refusal.Version, d.Refusal.Old = version, old
	return d
}

func (d Decision) major(version, old string) Decision {
	d.Refusal.Major = true
	return d.with(version, old)
}

// Decide answers an /updates call from a snapshot in the decision order of
// the backend's updateWithPG (utils/update.ts:270-696): app known; plugin
// supported; channel resolved; bundle available; key id; device already on
// it; platform; disable_auto_update major; private channel; minor; patch;
// minimum native version; under native; prod/dev builds; devices/
// emulators; builtin; bundle URL. It never fails: every outcome is a reply.
func Decide(s *Snapshot, r Request) Decision {
	in := r.Info
	app := s.Apps[in.AppID]
	if app == nil {
		return Decision{Status: http.StatusTooManyRequests,
			Refusal: Refusal{Code: protocol.CodeOnPremiseApp, Message: "On-premise app detected"}}
	}
	if !r.Plugin.Has(Supported) {
		return refuse(protocol.CodeUnsupportedPlugin, "Plugin version "+in.PluginVersion+
			" (v4) is no longer supported. Please upgrade to v5.10.0 or later.")
	}
	ch, viaOverride, ok := Resolve(app, in, r.Override)
	if !ok {
		return refuse(protocol.CodeNoChannel, "no default channel or override")
	}
	name := BundleFor(app, ch, in.DeviceID, in.VersionName)
	d := decideOnChannel(app, ch, viaOverride, name, r)
	d.Channel, d.Bundle = ch.Name, name
	return d
}

func decideOnChannel(app *App, ch *Channel, viaOverride bool, name string, r Request) Decision {
	in := r.Info
	internal := Internal(name)
	b := app.Bundles[name]
	if !internal && (b == nil || !b.HasBytes()) {
		return refuse(protocol.CodeNoBundle, "Cannot get bundle")
	}
	if !internal && in.KeyID != "" && b.KeyID != "" && in.KeyID != b.KeyID && r.Plugin.Has(KeyIDCheck) {
		d := refuse(protocol.CodeKeyIDMismatch, "Device encryption key does not match bundle encryption key. "+
			"The device may have a different public key than the one used to encrypt this bundle.")
		d.Refusal.DeviceKeyID, d.Refusal.BundleKeyID = in.KeyID, b.KeyID
		return d
	}
	if in.VersionName == name {
		return refuse(protocol.CodeNoNewVersion, "No new version available")
	}
	if d, refused := checkPolicy(app, ch, viaOverride, name, in); refused {
		return d
	}
	if internal {
		if name == protocol.Builtin {
			if !r.Plugin.Has(RevertToBuiltin) {
				return refuse(protocol.CodeRevertPluginTooOld, "revert_to_builtin used, but plugin version is too old")
			}
			// The parsed version_name is never "builtin", so the backend
			// always adds the version that tells the device to reset.
			return refuse(protocol.CodeAlreadyOnBuiltin, "Already on builtin").with(protocol.Builtin, "")
		}
		return refuse(protocol.CodeNoBundleURL, "Cannot get bundle url")
	}
	// A bundle at an external URL has no manifest (utils/update.ts:655,
	// :669); a manifest makes any url do (:674, :679).
	withManifest := b.ExternalURL == "" && len(b.Manifest) > 0
	if !withManifest && !strings.HasPrefix(b.URL, "http://") && !strings.HasPrefix(b.URL, "https://") {
		return refuse(protocol.CodeNoBundleURL, "Cannot get bundle url")
	}
	meta := app.ExposeMetadata && r.Plugin.Has(Metadata) && (b.Link != "" || b.Comment != "")
	return Decision{Status: http.StatusOK, Offer: b, Metadata: meta, Manifest: withManifest && r.Plugin.Has(Manifest)}
}

// checkPolicy applies the channel's policies in the backend's order
// (utils/update.ts:494-637); refused is false when none holds the bundle
// back.
func checkPolicy(app *App, ch *Channel, viaOverride bool, name string, in protocol.Info) (d Decision, refused bool) {
	p := ch.Policy
	if !p.AllowsPlatform(in.Platform) {
		code, msg := protocol.CodeDisabledPlatformAndroid, "Cannot update, android is disabled"
		switch in.Platform {
		case protocol.PlatformIOS:
			code, msg = protocol.CodeDisabledPlatformIOS, "Cannot update, ios it's disabled"
		case protocol.PlatformElectron:
			code, msg = protocol.CodeDisabledPlatformElectron, "Cannot update, electron is disabled"
		}
		return refuse(code, msg).with(name, in.VersionName), true
	}
	internal := Internal(name)
	native, _ := ParseSemver(in.VersionBuild)
	bv, _ := ParseSemver(name)
	if !internal && p.DisableAutoUpdate == DisableMajor && bv.Major > native.Major {
		return refuse(protocol.CodeDisableMajor, "Cannot upgrade major version").major(name, in.VersionBuild), true
	}
	if !p.AllowSelfSet && !p.Public && !viaOverride {
		// Resolve only finds such a channel through an override, so this
		// refusal is kept for the order's sake.
		msg := "Cannot update via a private channel. The channel \"" + ch.Name +
			"\" does not allow device self-assignment. Please set a defaultChannel with \"Allow devices to self dissociate/associate\" enabled."
		if in.DefaultChannel != "" {
			msg = "Cannot update via a private channel. The channel \"" + ch.Name +
				"\" does not allow device self-assignment. Please ensure your defaultChannel \"" + in.DefaultChannel +
				"\" has \"Allow devices to self dissociate/associate\" set to true."
		}
		return refuse(protocol.CodePrivateChannel, msg), true
	}
	if !internal && p.DisableAutoUpdate == DisableMinor && (bv.Major != native.Major || bv.Minor != native.Minor) {
		return refuse(protocol.CodeDisableMinor, "Cannot upgrade minor version").major(name, in.VersionBuild), true
	}
	if !internal && p.DisableAutoUpdate == DisablePatch &&
		(bv.Major != native.Major || bv.Minor != native.Minor || bv.Patch != native.Patch) {
		return refuse(protocol.CodeDisablePatch, "Cannot upgrade patch version").major(name, in.VersionBuild), true
	}
	if !internal && p.DisableAutoUpdate == DisableVersionNumber {
		min, ok := ParseSemver(app.Bundles[name].MinNative)
		if !ok {
			return refuse(protocol.CodeMisconfiguredChannel, "Channel "+ch.Name+" is misconfigured").with(name, in.VersionBuild), true
		}
		if min.Compare(native) > 0 {
			return refuse(protocol.CodeDisableMetadata, "Cannot upgrade version, min update version > current version").
				major(name, in.VersionBuild), true
		}
	}
	if !internal && p.DisableUnderNative && bv.Compare(native) < 0 {
		return refuse(protocol.CodeDisableUnderNative, "Cannot revert under native version").with(name, in.VersionName), true
	}
	switch {
	case !p.AllowProd && in.IsProd:
		return refuse(protocol.CodeDisableProdBuild, "Cannot update, prod build is disabled").with(name, in.VersionName), true
	case !p.AllowDev && !in.IsProd:
		return refuse(protocol.CodeDisableDevBuild, "Cannot update, dev build is disabled").with(name, in.VersionName), true
	case !p.AllowDevice && !in.IsEmulator:
		return refuse(protocol.CodeDisableDevice, "Cannot update, device is disabled").with(name, in.VersionName), true
	case !p.AllowEmulator && in.IsEmulator:
		return refuse(protocol.CodeDisableEmulator, "Cannot update, emulator is disabled").with(name, in.VersionName), true
	}
	return Decision{}, false
}
