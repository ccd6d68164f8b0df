package refserver

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/otasim/otasim/protocol"
)

// A plugin older than 7.34 keeps its channel choice on the server: POST
// stores it, /updates uses it, PUT reads it, DELETE removes it
// (plugins/channel_self.ts:285-549, utils/update.ts:342-345). An operator's
// pin on a channel devices may not pick is not theirs to remove.
func TestChannelSelfLegacyFlow(t *testing.T) {
	ts := startServer(t)
	ts.admin(t, "POST", "/admin/apps/com.example.app/channels", map[string]any{"name": "internal", "bundle": "1.2.0"}, nil)
	legacy := func(id string) protocol.Info {
		in := deviceInfo(id)
		in.PluginVersion = "7.0.0"
		return in
	}
	self := func(method string, in protocol.Info, channel string) (int, string) {
		t.Helper()
		if method == "DELETE" {
			q := url.Values{"app_id": {in.AppID}, "device_id": {in.DeviceID}, "platform": {in.Platform},
				"version_name": {in.VersionName}, "version_build": {in.VersionBuild}, "plugin_version": {in.PluginVersion}}
			st, raw := do(t, method, ts.URL+"/channel_self?"+q.Encode(), nil)
			return st, strings.TrimSpace(string(raw))
		}
		st, raw := do(t, method, ts.URL+"/channel_self", protocol.ChannelSelfRequest{Info: in, Channel: channel})
		return st, strings.TrimSpace(string(raw))
	}
	check := func(what string, st int, got, want string) {
		t.Helper()
		if st != 200 || got != want {
			t.Errorf("%s: %d %s, want %s", what, st, got, want)
		}
	}
	offered := func(in protocol.Info) string {
		t.Helper()
		_, rep := updates(t, ts, in)
		return rep.Version
	}

	a := legacy(uuid(1))
	st, got := self("POST", a, "beta")
	check("legacy set", st, got, `{"status":"ok"}`)
	if v := offered(a); v != "1.2.0" {
		t.Errorf("after a legacy set /updates offers %q, want beta's 1.2.0", v)
	}
	st, got = self("PUT", a, "")
	check("legacy get", st, got, `{"channel":"beta","status":"override","allowSet":true}`)
	st, got = self("DELETE", a, "")
	check("legacy unset", st, got, `{"status":"ok"}`)
	st, got = self("PUT", a, "")
	check("legacy get after unset", st, got, `{"channel":"production","status":"default"}`)

	b := legacy(uuid(2))
	ts.admin(t, "PUT", "/admin/apps/com.example.app/devices/"+b.DeviceID+"/channel", map[string]any{"channel": "internal"}, nil)
	st, got = self("DELETE", b, "")
	check("legacy unset of a pin", st, got, `{"error":"cannot_override","message":"Cannot change device override current channel don't allow it"}`)
	st, got = self("POST", b, "beta")
	check("legacy set over a pin", st, got, `{"error":"cannot_override","message":"Cannot change device override current channel don't allow it"}`)
	modern := deviceInfo(b.DeviceID)
	st, got = self("DELETE", modern, "")
	check("new plugin unset", st, got, `{"status":"ok"}`)
	if v := offered(modern); v != "1.2.0" {
		t.Errorf("the pin was removed: offered %q", v)
	}

	c := deviceInfo(uuid(3))
	st, got = self("POST", c, "beta")
	check("new plugin set", st, got, `{"status":"ok","allowSet":true}`)
	if v := offered(c); v != "1.1.0" {
		t.Errorf("a new plugin's set was stored: offered %q", v)
	}
	st, got = self("PUT", c, "beta")
	check("new plugin get", st, got, `{"channel":"beta","status":"override","allowSet":true}`)
	var list []protocol.ChannelListItem
	st, raw := do(t, "GET", ts.URL+"/channel_self?app_id=com.example.app&platform=android&device_id="+c.DeviceID, nil)
	if err := json.Unmarshal(raw, &list); st != 200 || err != nil || len(list) != 2 || list[0].Name != "production" || list[1].Name != "beta" {
		t.Errorf("list: %d %s", st, raw)
	}
}
