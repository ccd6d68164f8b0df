package refserver

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/otasim/otasim/reference-server/internal/servertest"
)

func TestMetricsAuth(t *testing.T) {
	for _, c := range []struct {
		auth        MetricsAuth
		wantNoToken int
	}{
		{MetricsAuthOn, 401},
		{MetricsAuthOff, 200},
		{MetricsAuthAuto, 200}, // on loopback
		{"", 200},
	} {
		t.Run(string(c.auth), func(t *testing.T) {
			ts := startServer(t, func(cfg *Config) { cfg.MetricsAuth = c.auth })
			if st, _ := do(t, "GET", ts.URL+"/metrics", nil); st != c.wantNoToken {
				t.Fatalf("without a token: %d, want %d", st, c.wantNoToken)
			}
			st, raw := do(t, "GET", ts.URL+"/metrics", nil, "Authorization", "Bearer "+testToken)
			if st != 200 || !strings.Contains(string(raw), "otasim_server_connections") {
				t.Fatalf("with the token: %d", st)
			}
		})
	}
}

func TestExposedWarning(t *testing.T) {
	for _, c := range []struct {
		addr  net.Addr
		token string
		warn  bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, "", false},
		{&net.TCPAddr{IP: net.IPv6loopback}, "", false},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 1)}, "", true},
		{&net.TCPAddr{IP: net.IPv4zero}, "", true},
		{&net.TCPAddr{IP: net.IPv4zero}, testToken, false},
	} {
		var logs bytes.Buffer
		s := &Server{cfg: Config{AdminToken: c.token}, log: slog.New(slog.NewTextHandler(&logs, nil))}
		s.warnExposed(c.addr)
		if got := strings.Contains(logs.String(), "admin-token"); got != c.warn {
			t.Errorf("%v, token %q: warned %v, want %v (%s)", c.addr, c.token, got, c.warn, logs.String())
		}
	}
}

func TestCrossOrigin(t *testing.T) {
	ts := startServer(t, func(cfg *Config) { cfg.CORSOrigins = []string{"https://console.example"} })
	ev := []any{event(uuid(1), "app_moved_to_foreground", "1.1.0", "")}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, path, origin, ctype string
		status                            int
		code                              string
		allowOrigin                       bool
	}{
		{"plugin: no origin, JSON", "POST", "/stats", "", "application/json", 200, "", false},
		{"no content type", "POST", "/stats", "", "", 200, "", false},
		{"the app's WebView", "POST", "/stats", "capacitor://localhost", "application/json", 200, "", true},
		{"a local page", "POST", "/stats", "http://localhost:5173", "application/json", 200, "", true},
		{"an allowed site", "POST", "/stats", "https://console.example", "application/json", 200, "", true},
		{"another site", "POST", "/stats", "https://evil.example", "application/json", 403, CodeCrossOrigin, false},
		{"another site, updates", "POST", "/updates", "https://evil.example", "application/json", 403, CodeCrossOrigin, false},
		{"a text/plain body", "POST", "/stats", "", "text/plain;charset=UTF-8", 415, CodeUnsupportedMedia, false},
		{"a form body", "POST", "/stats", "", "application/x-www-form-urlencoded", 415, CodeUnsupportedMedia, false},
		{"a multipart body", "PUT", "/channel_self", "", "multipart/form-data; boundary=x", 415, CodeUnsupportedMedia, false},
		{"a read from another site", "GET", "/channel_self?app_id=com.example.app&platform=android&is_emulator=false&is_prod=true", "https://evil.example", "", 200, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b any
			if c.method != "GET" {
				b = body
			}
			hdr := []string{"Content-Type", c.ctype}
			if c.origin != "" {
				hdr = append(hdr, "Origin", c.origin)
			}
			st, raw, h := servertest.Do(t, c.method, ts.URL+c.path, b, hdr...)
			if st != c.status {
				t.Fatalf("status %d, want %d: %s", st, c.status, raw)
			}
			if c.code != "" {
				if e := checkErrorShape(t, raw); e.Error != c.code {
					t.Fatalf("code %q, want %q", e.Error, c.code)
				}
			}
			if got := h.Get("Access-Control-Allow-Origin") == c.origin && c.origin != ""; got != c.allowOrigin {
				t.Fatalf("Access-Control-Allow-Origin %q", h.Get("Access-Control-Allow-Origin"))
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	ts := startServer(t)
	for _, c := range []struct {
		path, origin string
		allow        bool
	}{
		{"/updates", "capacitor://localhost", true},
		{"/stats", "ionic://localhost", true},
		{"/channel_self", "https://evil.example", false},
	} {
		req, _ := http.NewRequest("OPTIONS", ts.URL+c.path, nil)
		req.Header.Set("Origin", c.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 204 || (res.Header.Get("Access-Control-Allow-Origin") == c.origin) != c.allow {
			t.Errorf("%s from %s: %d, Access-Control-Allow-Origin %q", c.path, c.origin, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

func TestPushGate(t *testing.T) {
	ts := startServer(t)
	ws := "ws" + strings.TrimPrefix(ts.URL, "http") + "/push?"
	for _, c := range []struct {
		name, query, origin string
		status              int
	}{
		{"a device of the app", "app_id=com.example.app&device_id=" + uuid(1) + "&channel=production", "", 101},
		{"from the app's WebView", "app_id=com.example.app&device_id=" + uuid(2) + "&channel=production", "capacitor://localhost", 101},
		{"an unknown app", "app_id=com.nope.app&device_id=" + uuid(3) + "&channel=production", "", 404},
		{"a page of another site", "app_id=com.example.app&device_id=" + uuid(4) + "&channel=production", "https://evil.example", 403},
		{"no device id", "app_id=com.example.app&device_id=nope&channel=production", "", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			hdr := http.Header{}
			if c.origin != "" {
				hdr.Set("Origin", c.origin)
			}
			conn, res, err := websocket.DefaultDialer.Dial(ws+c.query, hdr)
			if conn != nil {
				conn.Close()
			}
			if res == nil {
				t.Fatalf("no reply: %v", err)
			}
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d", res.StatusCode, c.status)
			}
		})
	}
}
