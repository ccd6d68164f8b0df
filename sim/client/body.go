package client

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/otasim/otasim/protocol"
)

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func appendField(b []byte, name, v string, omitEmpty bool) []byte {
	if omitEmpty && v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

// appendInfoFields appends the info object's fields without braces,
// starting with a comma-less first field. Every field goes out, empty
// ones as "", as the plugin sends them (capacitor-updater 8.51.14
// android/.../CapgoUpdater.java:1969 createInfoObject); key_id only with
// an encryption key.
func appendInfoFields(b []byte, in *protocol.Info) []byte {
	b = append(b, `"platform":`...)
	b = appendString(b, in.Platform)
	b = appendField(b, "device_id", in.DeviceID, false)
	b = appendField(b, "app_id", in.AppID, false)
	b = appendField(b, "custom_id", in.CustomID, false)
	b = appendField(b, "version_build", in.VersionBuild, false)
	b = appendField(b, "version_code", in.VersionCode, false)
	b = appendField(b, "version_os", in.VersionOS, false)
	b = appendField(b, "version_name", in.VersionName, false)
	b = appendField(b, "plugin_version", in.PluginVersion, false)
	b = append(b, `,"is_emulator":`...)
	b = strconv.AppendBool(b, in.IsEmulator)
	b = append(b, `,"is_prod":`...)
	b = strconv.AppendBool(b, in.IsProd)
	b = appendField(b, "install_source", in.InstallSource, false)
	b = appendField(b, "defaultChannel", in.DefaultChannel, false)
	b = appendField(b, "key_id", in.KeyID, true)
	return b
}

// field is one field of the info object as a query parameter.
type field struct {
	name, value string
	present     bool
}

// infoFields lists the info object's fields as appendInfoFields writes
// them (listChannels sends them as query parameters).
func infoFields(in *protocol.Info) []field {
	return []field{
		{"platform", in.Platform, true}, {"device_id", in.DeviceID, true}, {"app_id", in.AppID, true},
		{"custom_id", in.CustomID, true}, {"version_build", in.VersionBuild, true},
		{"version_code", in.VersionCode, true}, {"version_os", in.VersionOS, true},
		{"version_name", in.VersionName, true}, {"plugin_version", in.PluginVersion, true},
		{"is_emulator", strconv.FormatBool(in.IsEmulator), true}, {"is_prod", strconv.FormatBool(in.IsProd), true},
		{"install_source", in.InstallSource, true}, {"defaultChannel", in.DefaultChannel, true},
		{"key_id", in.KeyID, in.KeyID != ""},
	}
}

// AppendInfo appends the info object as JSON (the /updates body), with
// the field names and omissions of protocol.Info.
func AppendInfo(b []byte, in *protocol.Info) []byte {
	b = append(b, '{')
	b = appendInfoFields(b, in)
	return append(b, '}')
}

// AppendChannelRequest appends a POST /channel_self body.
func AppendChannelRequest(b []byte, in *protocol.Info, channel string) []byte {
	b = append(b, '{')
	b = appendInfoFields(b, in)
	b = appendField(b, "channel", channel, false)
	return append(b, '}')
}

// AppendStats appends a JSON array of stats events (the /stats body). A
// device's events in one post mostly carry the same info object: an
// event whose info equals the one before copies that one's encoded
// fields instead of encoding them again.
func AppendStats(b []byte, evs []protocol.StatsEvent) []byte {
	b = append(b, '[')
	var info []byte // the previous event's info fields, within b
	for i := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if i > 0 && evs[i].Info == evs[i-1].Info {
			b = append(b, info...)
		} else {
			start := len(b)
			b = appendInfoFields(b, &evs[i].Info)
			info = b[start:]
		}
		b = appendEventFields(b, &evs[i])
	}
	return append(b, ']')
}

// AppendStatsEvent appends one stats event as a JSON object:
// old_version_name always ("" when none), timestamp when set.
func AppendStatsEvent(b []byte, e *protocol.StatsEvent) []byte {
	b = append(b, '{')
	b = appendInfoFields(b, &e.Info)
	return appendEventFields(b, e)
}

// appendEventFields appends what follows the info fields in a stats
// event, and the closing brace.
func appendEventFields(b []byte, e *protocol.StatsEvent) []byte {
	b = appendField(b, "old_version_name", e.OldVersionName, false)
	b = appendField(b, "action", e.Action, false)
	if e.Timestamp != 0 {
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendInt(b, e.Timestamp, 10)
	}
	if len(e.Metadata) > 0 {
		b = append(b, `,"metadata":{`...)
		var room [8]string // the plugin's metadata has at most four keys
		keys := room[:0]
		for k := range e.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, e.Metadata[k])
		}
		b = append(b, '}')
	}
	return append(b, '}')
}
