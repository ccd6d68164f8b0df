package refserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/otasim/otasim/protocol"
)

const dev1 = "5b3c4f5e-0d6a-4c5e-9f1a-2b3c4d5e6f70"

func infoJSON(t *testing.T, edit func(m map[string]any)) string {
	t.Helper()
	raw, _ := json.Marshal(deviceInfo(dev1))
	var m map[string]any
	json.Unmarshal(raw, &m)
	if edit != nil {
		edit(m)
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func TestUpdatesHandler(t *testing.T) {
	ts := startServer(t)
	// A private channel with neither public nor self-assign, and a
	// channel closed to prod builds, reached through overrides.
	ts.admin(t, "POST", "/admin/apps/com.example.app/channels", map[string]any{"name": "internal", "bundle": "1.2.0"}, nil)
	ts.admin(t, "POST", "/admin/apps/com.example.app/channels", map[string]any{"name": "devonly", "bundle": "1.2.0", "allow_prod": false, "allow_self_set": true}, nil)
	ts.admin(t, "PUT", "/admin/apps/com.example.app/devices/00000000-0000-0000-0000-0000000000aa/channel", map[string]any{"channel": "internal"}, nil)

	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string // "" means a bundle is offered
		wantVer    string
	}{
		{"builtin device is offered production", infoJSON(t, nil), 200, "", "1.1.0"},
		{"uppercase device id is the same device", infoJSON(t, func(m map[string]any) { m["device_id"] = strings.ToUpper(dev1) }), 200, "", "1.1.0"},
		{"up to date", infoJSON(t, func(m map[string]any) { m["version_name"] = "1.1.0" }), 200, protocol.CodeNoNewVersion, ""},
		{"self-assigned beta", infoJSON(t, func(m map[string]any) { m["defaultChannel"] = "beta" }), 200, "", "1.2.0"},
		{"unknown defaultChannel", infoJSON(t, func(m map[string]any) { m["defaultChannel"] = "nightly" }), 200, protocol.CodeNoChannel, ""},
		{"override to a private channel", infoJSON(t, func(m map[string]any) { m["device_id"] = "00000000-0000-0000-0000-0000000000AA" }), 200, "", "1.2.0"},
		{"prod build refused", infoJSON(t, func(m map[string]any) { m["defaultChannel"] = "devonly" }), 200, protocol.CodeDisableProdBuild, "1.2.0"},
		{"unknown app", infoJSON(t, func(m map[string]any) { m["app_id"] = "com.unknown.app" }), 429, protocol.CodeOnPremiseApp, ""},
		{"bad semver", infoJSON(t, func(m map[string]any) { m["version_build"] = "not-a-version" }), 200, protocol.CodeSemverError, ""},
		{"missing version_build", infoJSON(t, func(m map[string]any) { delete(m, "version_build") }), 200, protocol.CodeMissingInfo, ""},
		{"absent is_prod means prod", infoJSON(t, func(m map[string]any) { delete(m, "is_prod"); m["defaultChannel"] = "devonly" }), 200, protocol.CodeDisableProdBuild, "1.2.0"},
		{"null is_emulator means a device", infoJSON(t, func(m map[string]any) { m["is_emulator"] = nil }), 200, "", "1.1.0"},
		{"bad platform", infoJSON(t, func(m map[string]any) { m["platform"] = "symbian" }), 400, protocol.CodeInvalidJSONBody, ""},
		{"wrong type", infoJSON(t, func(m map[string]any) { m["is_prod"] = "yes" }), 400, protocol.CodeInvalidJSONBody, ""},
		{"device id too long", infoJSON(t, func(m map[string]any) { m["device_id"] = strings.Repeat("a", 37) }), 400, protocol.CodeInvalidJSONBody, ""},
		{"bad app id", infoJSON(t, func(m map[string]any) { m["app_id"] = "../../etc" }), 400, protocol.CodeInvalidJSONBody, ""},
		{"bad plugin version", infoJSON(t, func(m map[string]any) { m["plugin_version"] = "eight" }), 400, protocol.CodeInvalidJSONBody, ""},
		{"extra fields are accepted", infoJSON(t, func(m map[string]any) { m["future_field"] = 1 }), 200, "", "1.1.0"},
		{"invalid JSON", `{"app_id":`, 400, protocol.CodeInvalidJSONBody, ""},
		{"not an object", `[1,2]`, 400, protocol.CodeInvalidJSONBody, ""},
		{"empty body", ``, 400, protocol.CodeInvalidJSONBody, ""},
		{"body too large", `{"x":"` + strings.Repeat("a", MaxUpdatesBody) + `"}`, 413, protocol.CodeBodyTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, raw := do(t, "POST", ts.URL+"/updates", tt.body, "Content-Type", "application/json")
			if st != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", st, tt.wantStatus, raw)
			}
			var rep protocol.UpdateReply
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatalf("reply is not JSON: %q", raw)
			}
			if tt.wantCode == "" {
				if !rep.IsUpdate() || rep.Version != tt.wantVer {
					t.Fatalf("reply %s, want bundle %s", raw, tt.wantVer)
				}
				if !strings.HasPrefix(rep.URL, ts.URL+"/cdn/com.example.app/") || len(rep.Checksum) != 64 {
					t.Errorf("url %q or checksum %q malformed", rep.URL, rep.Checksum)
				}
				return
			}
			e := checkErrorShape(t, raw)
			if e.Error != tt.wantCode || e.Kind != protocol.KindOf(tt.wantCode) {
				t.Errorf("got %s/%s, want %s/%s", e.Error, e.Kind, tt.wantCode, protocol.KindOf(tt.wantCode))
			}
			if e.Version != tt.wantVer {
				t.Errorf("version detail %q, want %q", e.Version, tt.wantVer)
			}
		})
	}
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	ts := startServer(t)
	for _, c := range []struct{ method, path string }{
		{"GET", "/updates"}, {"GET", "/nope"}, {"DELETE", "/stats"},
	} {
		st, raw := do(t, c.method, ts.URL+c.path, nil)
		if st != http.StatusNotFound {
			t.Errorf("%s %s = %d", c.method, c.path, st)
		}
		checkErrorShape(t, raw)
	}
}
