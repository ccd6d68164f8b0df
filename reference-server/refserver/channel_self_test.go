package refserver

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/otasim/otasim/protocol"
)

func TestChannelSelf(t *testing.T) {
	ts := startServer(t)
	ts.admin(t, "POST", "/admin/apps/com.example.app/channels", map[string]any{"name": "internal", "bundle": "1.2.0"}, nil)
	const overridden = "00000000-0000-0000-0000-0000000000bb"
	ts.admin(t, "PUT", "/admin/apps/com.example.app/devices/"+overridden+"/channel", map[string]any{"channel": "internal"}, nil)
	req := func(id, channel string) protocol.ChannelSelfRequest {
		return protocol.ChannelSelfRequest{Info: deviceInfo(id), Channel: channel}
	}
	withDefault := req(dev1, "")
	withDefault.DefaultChannel = "beta"
	q := url.Values{"app_id": {DemoAppID}, "platform": {"android"}, "is_prod": {"true"}, "is_emulator": {"false"}}
	tests := []struct {
		name       string
		method     string
		url        string
		body       any
		wantStatus int
		want       string // a substring of the JSON reply
	}{
		{"self-assign beta", "POST", "/channel_self", req(dev1, "beta"), 200, `"allowSet":true`},
		{"missing channel", "POST", "/channel_self", req(dev1, ""), 200, protocol.CodeMissingChannel},
		{"unknown channel", "POST", "/channel_self", req(dev1, "nightly"), 200, protocol.CodeChannelNotFound},
		{"channel not self-assignable", "POST", "/channel_self", req(dev1, "production"), 200, protocol.CodeChannelSelfSetNotAllow},
		{"unknown app", "POST", "/channel_self", protocol.ChannelSelfRequest{Info: func() protocol.Info { i := deviceInfo(dev1); i.AppID = "com.x.y"; return i }(), Channel: "beta"}, 429, protocol.CodeOnPremiseApp},
		{"invalid JSON", "POST", "/channel_self", `{"channel":`, 400, protocol.CodeInvalidJSONBody},
		{"missing device", "POST", "/channel_self", `{"app_id":"com.example.app","platform":"ios","is_prod":true,"is_emulator":false,"channel":"beta"}`, 400, protocol.CodeMissingInfo},
		{"current channel: default", "PUT", "/channel_self", req(dev1, ""), 200, `{"channel":"production","status":"default","allowSet":false}`},
		{"current channel: defaultChannel", "PUT", "/channel_self", withDefault, 200, `{"channel":"beta","status":"default","allowSet":true}`},
		{"current channel: override", "PUT", "/channel_self", req(overridden, ""), 200, `{"channel":"internal","status":"override","allowSet":false}`},
		{"current channel: stored on the device", "PUT", "/channel_self", req(dev1, "beta"), 200, `{"channel":"beta","status":"override","allowSet":true}`},
		{"current channel: none", "PUT", "/channel_self", withDefaultChannel(req(dev1, ""), "nightly"), 200, protocol.CodeChannelNotFound},
		{"list", "GET", "/channel_self?" + q.Encode(), nil, 200, `[{"id":2,"name":"beta","public":false,"allow_self_set":true}]`},
		{"list bad bool", "GET", "/channel_self?app_id=com.example.app&platform=ios&is_prod=maybe", nil, 400, protocol.CodeInvalidJSONBody},
		{"unset without override", "DELETE", "/channel_self", req(dev1, ""), 200, `{"status":"ok"}`},
		{"unset override", "DELETE", "/channel_self", req(overridden, ""), 200, `{"status":"ok"}`},
		{"after unset: default again", "PUT", "/channel_self", req(overridden, ""), 200, `"status":"default"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, raw := do(t, tt.method, ts.URL+tt.url, tt.body)
			if st != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", st, tt.wantStatus, raw)
			}
			if !json.Valid(raw) || !strings.Contains(string(raw), tt.want) {
				t.Errorf("reply %s does not contain %s", raw, tt.want)
			}
			if st >= 300 || strings.Contains(string(raw), `"error"`) {
				checkErrorShape(t, raw)
			}
		})
	}
}

func withDefaultChannel(r protocol.ChannelSelfRequest, ch string) protocol.ChannelSelfRequest {
	r.DefaultChannel = ch
	return r
}
