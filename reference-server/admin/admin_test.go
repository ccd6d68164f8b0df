package admin

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/internal/servertest"

	"github.com/otasim/otasim/reference-server/faults"
	"github.com/otasim/otasim/reference-server/release"
)

func TestAdminAuth(t *testing.T) {
	ts := startAPI(t)
	for _, hdr := range [][]string{
		nil,
		{"Authorization", "Bearer wrong-token"},
		{"Authorization", testToken},
		{"Authorization", "Basic " + testToken},
		{"Authorization", "Bearer " + testToken + "x"},
	} {
		st, raw := do(t, "GET", ts.url+"/admin/apps", nil, hdr...)
		if st != http.StatusUnauthorized {
			t.Errorf("header %v: status %d, want 401", hdr, st)
		}
		if e := errorShape(t, raw); e.Error != codeUnauthorized {
			t.Errorf("code %q", e.Error)
		}
	}
	if st := ts.call(t, "GET", "/admin/apps", nil, nil); st != 200 {
		t.Errorf("with token: %d", st)
	}
}

func TestAdminValidation(t *testing.T) {
	ts := startAPI(t)
	const app = "/admin/apps/com.example.app"
	tests := []struct {
		name, method, path string
		body               any
		wantStatus         int
		wantCode           string
		wantInMsg          []string
	}{
		{"bad app id", "POST", "/admin/apps", map[string]any{"app_id": "../etc"}, 400, codeInvalidRequest, []string{"reverse-domain"}},
		{"app exists", "POST", "/admin/apps", map[string]any{"app_id": DemoAppID}, 409, codeConflict, nil},
		{"unknown field", "POST", "/admin/apps", `{"app_id":"a.b","colour":"red"}`, 400, "invalid_json_body", []string{"colour"}},
		{"two values", "POST", "/admin/apps", `{"app_id":"a.b"}{}`, 400, "invalid_json_body", nil},
		{"unknown app", "GET", "/admin/apps/com.nope.app/channels", nil, 404, codeNotFound, nil},
		{"bundle: every problem at once", "POST", app + "/bundles", map[string]any{"name": "v1", "size": 1, "min_native": "x.y"}, 400, codeInvalidRequest,
			[]string{"name", "size", "min_native"}},
		{"bundle exists", "POST", app + "/bundles", map[string]any{"name": "1.1.0", "size": 5000}, 409, codeConflict, nil},
		{"bundle traversal name", "PUT", app + "/bundles/..%2F..%2Fx", "zip", 400, codeInvalidRequest, nil},
		{"channel: every problem at once", "POST", app + "/channels", map[string]any{"name": "bad name", "bundle": "9.9.9", "disable_auto_update": "sometimes"}, 400, codeInvalidRequest,
			[]string{"name", "9.9.9", "disable_auto_update"}},
		{"channel exists", "POST", app + "/channels", map[string]any{"name": "beta"}, 409, codeConflict, nil},
		{"patch name", "PATCH", app + "/channels/beta", map[string]any{"name": "alpha"}, 400, codeInvalidRequest, nil},
		{"patch unknown bundle", "PATCH", app + "/channels/beta", map[string]any{"bundle": "7.0.0"}, 400, codeInvalidRequest, nil},
		{"unknown channel", "PATCH", app + "/channels/nightly", map[string]any{"public": true}, 404, codeNotFound, nil},
		{"rollout of the stable bundle", "POST", app + "/channels/production/rollout", map[string]any{"bundle": "1.1.0", "percent_bp": 10}, 400, codeInvalidRequest, nil},
		{"rollout percent out of range", "POST", app + "/channels/production/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 10001}, 400, codeInvalidRequest, nil},
		{"rollout without percent", "POST", app + "/channels/production/rollout", map[string]any{"bundle": "1.2.0"}, 400, codeInvalidRequest, nil},
		{"pause without rollout", "POST", app + "/channels/production/rollout/pause", nil, 409, codeConflict, nil},
		{"rollback with nothing to go back to", "POST", app + "/channels/production/rollback", nil, 409, codeConflict, nil},
		{"guard: every problem at once", "PUT", app + "/channels/production/guard", map[string]any{"window_s": 0, "threshold": 1.5, "action": "panic"}, 400, codeInvalidRequest,
			[]string{"window_s", "threshold", "action"}},
		{"override to unknown channel", "PUT", app + "/devices/abc/channel", map[string]any{"channel": "nightly"}, 404, codeNotFound, nil},
		{"delete missing override", "DELETE", app + "/devices/abc/channel", nil, 404, codeNotFound, nil},
		{"faults invalid", "PUT", "/admin/faults", map[string]any{"cdn": map[string]any{"error_rate": 2, "error_mode": "boom"}}, 400, codeInvalidRequest,
			[]string{"error_rate", "error_mode"}},
		{"unknown admin route", "GET", "/admin/nothing", nil, 404, codeNotFound, nil},
		{"body too large", "POST", "/admin/apps", `{"app_id":"` + strings.Repeat("a", MaxBody) + `"}`, 413, "body_too_large", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, raw := do(t, tt.method, ts.url+tt.path, tt.body, "Authorization", "Bearer "+testToken)
			if st != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", st, tt.wantStatus, raw)
			}
			e := errorShape(t, raw)
			if e.Error != tt.wantCode {
				t.Errorf("code = %q, want %q", e.Error, tt.wantCode)
			}
			for _, w := range tt.wantInMsg {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q does not mention %q", e.Message, w)
				}
			}
		})
	}
}

func TestAdminUploadBundle(t *testing.T) {
	ts := startAPI(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, _ := zw.Create("index.html")
	f.Write([]byte("<html>hello</html>"))
	zw.Close()
	sum := sha256.Sum256(buf.Bytes())

	var b bundleJSON
	if st := ts.call(t, "PUT", "/admin/apps/com.example.app/bundles/1.3.0?min_native=1.0.0&link=https://x.test/1.3.0", buf.Bytes(), &b); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	if b.SHA256 != hex.EncodeToString(sum[:]) || b.Size != int64(buf.Len()) || b.MinNative != "1.0.0" ||
		b.Link != "https://x.test/1.3.0" || b.URL != "http://cdn.test/cdn/com.example.app/1.3.0.zip" {
		t.Fatalf("bundle %+v", b)
	}
	if st := ts.call(t, "PUT", "/admin/apps/com.example.app/bundles/1.3.1", []byte("not a zip"), nil); st != 400 {
		t.Errorf("non-zip upload: %d, want 400", st)
	}
	if st := ts.call(t, "PUT", "/admin/apps/com.example.app/bundles/1.3.0", buf.Bytes(), nil); st != 409 {
		t.Errorf("re-upload: %d, want 409", st)
	}
}

func TestAdminRolloutLifecycle(t *testing.T) {
	ts := startAPI(t)
	const ch = "/admin/apps/com.example.app/channels/production"
	var c channelJSON
	step := func(method, path string, body any, wantState release.RolloutState, wantBP int) {
		t.Helper()
		c = channelJSON{}
		if st := ts.call(t, method, ch+path, body, &c); st != 200 {
			t.Fatalf("%s %s: %d", method, path, st)
		}
		if wantState == "" {
			if c.Rollout != nil {
				t.Fatalf("%s %s: rollout %+v, want none", method, path, c.Rollout)
			}
			return
		}
		if c.Rollout == nil || c.Rollout.State != wantState || c.Rollout.PercentBP != wantBP {
			t.Fatalf("%s %s: rollout %+v, want %s at %d", method, path, c.Rollout, wantState, wantBP)
		}
	}
	step("POST", "/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 1000}, release.RolloutRunning, 1000)
	if st := ts.call(t, "POST", ch+"/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 1000}, nil); st != 409 {
		t.Errorf("second start: %d, want 409", st)
	}
	step("PATCH", "/rollout", map[string]any{"percent_bp": 5000}, release.RolloutRunning, 5000)
	step("POST", "/rollout/pause", nil, release.RolloutPaused, 5000)
	step("PATCH", "/rollout", map[string]any{"percent_bp": 6000}, release.RolloutPaused, 6000)
	step("POST", "/rollout/resume", nil, release.RolloutRunning, 6000)
	step("POST", "/rollout/promote", nil, "", 0)
	if c.Bundle != "1.2.0" || c.PreviousBundle != "1.1.0" {
		t.Fatalf("after promote: bundle %q previous %q", c.Bundle, c.PreviousBundle)
	}
	step("POST", "/rollback", map[string]any{"reason": "bad build"}, "", 0)
	if c.Bundle != "1.1.0" || c.PreviousBundle != "" {
		t.Fatalf("after rollback: bundle %q previous %q", c.Bundle, c.PreviousBundle)
	}
	step("POST", "/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 10000}, release.RolloutRunning, 10000)
	step("POST", "/rollback", nil, "", 0)
	if c.Bundle != "1.1.0" {
		t.Fatalf("rollback of a rollout moved the stable bundle to %q", c.Bundle)
	}
	var h []release.HistoryEntry
	ts.call(t, "GET", ch+"/history", nil, &h)
	var events []string
	for _, e := range h {
		events = append(events, e.Event)
	}
	want := "channel_create rollout_start rollout_change rollout_pause rollout_change rollout_resume rollout_promote rollback rollout_start rollback"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("history:\n got %s\nwant %s", got, want)
	}
	if h[7].Reason != "bad build" {
		t.Errorf("rollback reason %q", h[7].Reason)
	}
}

func TestAdminFaultsRoundTrip(t *testing.T) {
	ts := startAPI(t)
	want := faults.Knobs{CDN: faults.CDN{CorruptRate: 0.5, ErrorMode: "5xx"}, API: faults.API{RateLimitRate: 0.25, RetryAfterS: 60}}
	var got faults.Knobs
	if st := ts.call(t, "PUT", "/admin/faults", want, &got); st != 200 || got != want {
		t.Fatalf("PUT: %d %+v", st, got)
	}
	got = faults.Knobs{}
	ts.call(t, "GET", "/admin/faults", nil, &got)
	if got != want || ts.faults.Load() != want {
		t.Fatalf("GET: %+v", got)
	}
}

func TestAdminLists(t *testing.T) {
	ts := startAPI(t)
	var apps []appJSON
	ts.call(t, "GET", "/admin/apps", nil, &apps)
	if len(apps) != 1 || apps[0].AppID != DemoAppID {
		t.Fatalf("apps %+v", apps)
	}
	var bundles []bundleJSON
	ts.call(t, "GET", "/admin/apps/com.example.app/bundles", nil, &bundles)
	if len(bundles) != 3 || bundles[0].Name != "1.0.0" || bundles[2].Name != "1.2.0" {
		t.Fatalf("bundles %+v", bundles)
	}
}

func TestAdminLoginThrottle(t *testing.T) {
	clk := servertest.NewClock()
	ts := startAPIClock(t, clk)
	wrong := []string{"Authorization", "Bearer wrong-token"}
	right := []string{"Authorization", "Bearer " + testToken}
	for i := range authFailureLimit {
		clk.Advance(time.Minute) // each failure within the block of the one before
		if st, _ := do(t, "GET", ts.url+"/admin/apps", nil, wrong...); st != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, st)
		}
	}
	st, raw, hdr := servertest.Do(t, "GET", ts.url+"/admin/apps", nil, right...)
	if st != 429 || hdr.Get("Retry-After") != "900" {
		t.Fatalf("after %d failures, the right token: %d, Retry-After %q: %s", authFailureLimit, st, hdr.Get("Retry-After"), raw)
	}
	var rep struct {
		protocol.Error
		MoreInfo struct {
			Reason     string `json:"reason"`
			RetryAfter int    `json:"retryAfterSeconds"`
		} `json:"moreInfo"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil || rep.Error.Error != protocol.CodeTooManyRequests ||
		rep.MoreInfo.Reason != "too_many_failed_auth_attempts" || rep.MoreInfo.RetryAfter != 900 {
		t.Fatalf("reply %s", raw)
	}
	errorShape(t, raw)
	// Another address is not blocked.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	req, _ := http.NewRequest("GET", ts.url+"/admin/apps", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if res, err := other.Do(req); err != nil {
		t.Skipf("cannot send from 127.0.0.2: %v", err)
	} else if res.Body.Close(); res.StatusCode != 200 {
		t.Fatalf("another address: %d", res.StatusCode)
	}
	clk.Advance(authBlock)
	if st := ts.call(t, "GET", "/admin/apps", nil, nil); st != 200 {
		t.Fatalf("after the block: %d", st)
	}
}
