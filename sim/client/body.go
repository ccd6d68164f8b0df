package client

import (
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
// starting with a comma-less first field.
func appendInfoFields(b []byte, in *protocol.Info) []byte {
	b = append(b, `"platform":`...)
	b = appendString(b, in.Platform)
	b = appendField(b, "device_id", in.DeviceID, false)
	b = appendField(b, "app_id", in.AppID, false)
	b = appendField(b, "custom_id", in.CustomID, true)
	b = appendField(b, "version_build", in.VersionBuild, false)
	b = appendField(b, "version_code", in.VersionCode, true)
	b = appendField(b, "version_os", in.VersionOS, true)
	b = appendField(b, "version_name", in.VersionName, false)
	b = appendField(b, "plugin_version", in.PluginVersion, false)
	b = append(b, `,"is_emulator":`...)
	b = strconv.AppendBool(b, in.IsEmulator)
	b = append(b, `,"is_prod":`...)
	b = strconv.AppendBool(b, in.IsProd)
	b = appendField(b, "install_source", in.InstallSource, true)
	b = appendField(b, "defaultChannel", in.DefaultChannel, true)
	b = appendField(b, "key_id", in.KeyID, true)
	return b
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

// AppendStats appends a JSON array of stats events (the /stats body).
func AppendStats(b []byte, evs []protocol.StatsEvent) []byte {
	b = append(b, '[')
	for i := range evs {
		e := &evs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendInfoFields(b, &e.Info)
		b = appendField(b, "old_version_name", e.OldVersionName, true)
		b = appendField(b, "action", e.Action, false)
		if e.Timestamp != 0 {
			b = append(b, `,"timestamp":`...)
			b = strconv.AppendInt(b, e.Timestamp, 10)
		}
		if len(e.Metadata) > 0 {
			b = append(b, `,"metadata":{`...)
			first := true
			for k, v := range e.Metadata {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = appendString(b, k)
				b = append(b, ':')
				b = appendString(b, v)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}
