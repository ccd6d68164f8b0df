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

// The /updates handler end to end; every code and plugin-version branch is
// in the conformance suite (reference-server/conformance).
func TestUpdatesHandler(t *testing.T) {
	ts := startServer(t)
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
		{"unknown app", infoJSON(t, func(m map[string]any) { m["app_id"] = "com.unknown.app" }), 429, protocol.CodeOnPremiseApp, ""},
		{"bad semver", infoJSON(t, func(m map[string]any) { m["version_build"] = "not-a-version" }), 400, protocol.CodeSemverError, ""},
		{"missing version_build", infoJSON(t, func(m map[string]any) { delete(m, "version_build") }), 400, protocol.CodeInvalidJSONBody, ""},
		{"device id not a UUID", infoJSON(t, func(m map[string]any) { m["device_id"] = "device-1" }), 400, protocol.CodeInvalidJSONBody, ""},
		{"invalid JSON", `{"app_id":`, 400, protocol.CodeInvalidJSONParse, ""},
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
			wantKind := protocol.Kind("")
			if st == http.StatusOK {
				wantKind = protocol.KindOf(tt.wantCode)
			}
			if e.Error != tt.wantCode || e.Kind != wantKind {
				t.Errorf("got %s/%s, want %s/%s", e.Error, e.Kind, tt.wantCode, wantKind)
			}
		})
	}
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	ts := startServer(t)
	for _, c := range []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/updates", 200, `{"status":"ok"}`},
		{"GET", "/stats", 200, `{"status":"ok"}`},
		{"GET", "/nope", 404, `{"error":"not_found","message":"Not found"}`},
		{"DELETE", "/stats", 404, `{"error":"not_found","message":"Not found"}`},
		{"PUT", "/updates", 404, `{"error":"not_found","message":"Not found"}`},
	} {
		st, raw := do(t, c.method, ts.URL+c.path, nil)
		if st != c.status || strings.TrimSpace(string(raw)) != c.want {
			t.Errorf("%s %s = %d %s, want %d %s", c.method, c.path, st, raw, c.status, c.want)
		}
	}
}
