package release

import (
	"strconv"
	"strings"
)

// Feature is a behaviour of the backend that depends on the plugin version
// a device reports.
type Feature uint8

// The plugin-version-dependent behaviours.
const (
	// Supported: the plugin may check for updates at all (v4 is refused
	// with unsupported_plugin_version).
	Supported Feature = iota
	// RevertToBuiltin: the plugin understands "version":"builtin"
	// (revert_to_builtin_plugin_version_too_old otherwise).
	RevertToBuiltin
	// Metadata: replies may carry the bundle's link and comment.
	Metadata
	// DeviceKeepsChannel: the plugin keeps its /channel_self choice itself
	// and sends it back; older plugins have the server keep it.
	DeviceKeepsChannel
	// KeyIDCheck: a device whose encryption key id differs from the
	// bundle's is refused with key_id_mismatch.
	KeyIDCheck
	// CountsDownloadFail: its download_fail events are real failures (older
	// plugins reported one when there was nothing to download).
	CountsDownloadFail
	// Manifest: replies may carry a bundle's per-file manifest.
	Manifest
	numFeatures
)

func (f Feature) String() string {
	names := [numFeatures]string{"supported", "revert_to_builtin", "metadata",
		"device_keeps_channel", "key_id_check", "counts_download_fail", "manifest"}
	if f < numFeatures {
		return names[f]
	}
	return "feature(" + strconv.Itoa(int(f)) + ")"
}

// gateOp is how a gate compares the plugin version with its bound.
type gateOp uint8

const (
	atLeast gateOp = iota // version >= bound
	above                 // version > bound
	never                 // the feature is off for the whole major
)

// anyMajor makes a gate apply whatever the plugin's major version.
const anyMajor = -1

// gate is one row of the plugin-version policy. For a feature, the first
// row whose major matches the plugin's (or is anyMajor) decides; when no
// row matches, the feature is on.
type gate struct {
	feature Feature
	major   int
	op      gateOp
	bound   Version
	// literal: the row applies only when the reported version starts
	// with its major and a dot, as the backend's startsWith("6.") test.
	literal bool
	source  string // the backend's file:line at commit BackendCommit
}

// BackendCommit is the commit of Cap-go/capgo the policy and the decision
// order were read at.
const BackendCommit = "4bc7d83f85152e3cdb896afcc4e4420c0819882c"

// pluginGates is the plugin-version policy of the backend, one row per
// bound.
func pluginGates() [17]gate {
	return [...]gate{
		{Supported, 4, never, Version{}, false, "utils/update.ts:383"},
		{RevertToBuiltin, anyMajor, atLeast, ver(6, 2, 0), false, "utils/update.ts:639"},
		{Metadata, 5, atLeast, ver(5, 35, 0), false, "utils/update.ts:221"},
		{Metadata, 6, atLeast, ver(6, 35, 0), false, "utils/update.ts:221"},
		{Metadata, 7, atLeast, ver(7, 35, 0), false, "utils/update.ts:221"},
		{Metadata, 8, atLeast, ver(8, 35, 0), false, "utils/update.ts:221"},
		{DeviceKeepsChannel, 5, atLeast, ver(5, 34, 0), false, "plugins/channel_self.ts:27, utils/update.ts:31"},
		{DeviceKeepsChannel, 6, atLeast, ver(6, 34, 0), false, "plugins/channel_self.ts:28"},
		{DeviceKeepsChannel, 7, atLeast, ver(7, 34, 0), false, "plugins/channel_self.ts:29"},
		{DeviceKeepsChannel, 8, atLeast, ver(8, 0, 0), false, "plugins/channel_self.ts:30"},
		{KeyIDCheck, anyMajor, above, ver(8, 40, 7), false, "utils/update.ts:461"},
		{CountsDownloadFail, 6, atLeast, ver(6, 14, 25), true, "plugins/stats.ts:21,81"},
		{CountsDownloadFail, anyMajor, atLeast, ver(7, 17, 0), false, "plugins/stats.ts:20,80"},
		// isDeprecatedPluginVersion with the brotli minimums
		// (utils/utils.ts:70-72, :109; the v8 bound is its default).
		{Manifest, 5, atLeast, ver(5, 10, 0), false, "utils/update.ts:220,245"},
		{Manifest, 6, atLeast, ver(6, 25, 0), false, "utils/update.ts:220,245"},
		{Manifest, 7, atLeast, ver(7, 0, 35), false, "utils/update.ts:220,245"},
		{Manifest, 8, atLeast, ver(8, 0, 0), false, "utils/update.ts:220,245"},
	}
}

// Plugin is a parsed plugin version and the features it has.
type Plugin struct {
	Version Version
	has     [numFeatures]bool
}

// ParsePlugin parses a reported plugin version as the backend does
// (ParseSemver) and evaluates the policy; ok is false when it does not
// parse.
func ParsePlugin(s string) (Plugin, bool) {
	v, ok := ParseSemver(s)
	if !ok {
		return Plugin{}, false
	}
	p := Plugin{Version: v}
	var decided [numFeatures]bool
	gates := pluginGates()
	for i := range gates {
		g := &gates[i]
		if decided[g.feature] || (g.major != anyMajor && uint64(g.major) != v.Major) {
			continue
		}
		if g.literal && !strings.HasPrefix(s, majorPrefix(g.major)) {
			continue
		}
		decided[g.feature] = true
		switch g.op {
		case never:
		case atLeast:
			p.has[g.feature] = v.Compare(g.bound) >= 0
		case above:
			p.has[g.feature] = v.Compare(g.bound) > 0
		}
	}
	for f := range numFeatures {
		if !decided[f] {
			p.has[f] = true
		}
	}
	return p, true
}

// Has reports whether the plugin has a feature.
func (p Plugin) Has(f Feature) bool { return f < numFeatures && p.has[f] }

func majorPrefix(major int) string { return strconv.Itoa(major) + "." }

func ver(major, minor, patch uint64) Version {
	return Version{Major: major, Minor: minor, Patch: patch}
}
