package refserver

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/otasim/otasim/protocol"
)

// fuzzServer is a seeded server whose handler the fuzz targets call in
// process (no socket: the targets run many thousands of times). A handler
// panic fails the target: the recoverer logs it.
func fuzzServer(f *testing.F) *Server {
	f.Helper()
	srv, err := New(Config{DBPath: filepath.Join(f.TempDir(), "fuzz.db"), AdminToken: testToken,
		PublicURL: "http://127.0.0.1:1", Now: newClock().Now, Logger: slog.New(panicFinder{f})})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	if err := srv.seedDemo(context.Background(), testBundleSize); err != nil {
		f.Fatal(err)
	}
	return srv
}

// panicFinder is a log handler that fails a fuzz target on a handler panic.
type panicFinder struct{ f *testing.F }

func (p panicFinder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (p panicFinder) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "handler panic" {
		p.f.Errorf("handler panic: %v", r)
	}
	return nil
}
func (p panicFinder) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p panicFinder) WithGroup(string) slog.Handler      { return p }

func serve(h http.Handler, method, target string, body []byte, admin bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if admin {
		req.Header.Set("Authorization", "Bearer "+testToken)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkReply fails unless the reply is JSON and, when it is not a success,
// an error with a code and a message (the fuzz targets send no client
// address, so the enumeration guard's message-less 429 never comes); a 5xx
// is the backend's unknown_error (its reply to an exception it does not
// handle) or the server_error of a storage failure.
func checkReply(t *testing.T, rec *httptest.ResponseRecorder, ok func(raw []byte) bool) {
	t.Helper()
	raw := rec.Body.Bytes()
	if !json.Valid(raw) {
		t.Fatalf("status %d, reply is not JSON: %q", rec.Code, raw)
	}
	if ok != nil && ok(raw) {
		return
	}
	var e protocol.Error
	if err := json.Unmarshal(raw, &e); err != nil || e.Error == "" || e.Message == "" {
		t.Fatalf("status %d, reply is neither a success nor an error: %s", rec.Code, raw)
	}
	if rec.Code >= 500 && e.Error != protocol.CodeUnknownError && e.Error != protocol.CodeServerError {
		t.Fatalf("status %d: %s", rec.Code, raw)
	}
}

func infoSeed() []byte {
	raw, _ := json.Marshal(deviceInfo(dev1))
	return raw
}

func FuzzUpdates(f *testing.F) {
	srv := fuzzServer(f)
	h := srv.Handler()
	f.Add(infoSeed())
	f.Add([]byte(`{"app_id":"com.example.app","device_id":"X","platform":"ios","version_name":"1.1.0","version_build":"v2","plugin_version":"8.0.0","is_emulator":true,"is_prod":false,"defaultChannel":"beta"}`))
	f.Add([]byte(`{"app_id":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"app_id":"com.example.app","version_build":"99999999999999999999.0.0"}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := serve(h, "POST", "/updates", body, false)
		checkReply(t, rec, func(raw []byte) bool {
			var u protocol.UpdateReply
			return json.Unmarshal(raw, &u) == nil && u.IsUpdate() && rec.Code == 200
		})
	})
}

func FuzzStats(f *testing.F) {
	srv := fuzzServer(f)
	h := srv.Handler()
	ev, _ := json.Marshal(event(dev1, "set", "1.1.0", "1.0.0"))
	f.Add(ev)
	f.Add([]byte("[" + string(ev) + "," + string(ev) + "]"))
	f.Add([]byte(`[{"action":"update_fail"},1,"x",null]`))
	f.Add([]byte(`{"app_id":"com.example.app","metadata":{"a":{"b":1}}}`))
	f.Add([]byte(`  [`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := serve(h, "POST", "/stats", body, false)
		checkReply(t, rec, func(raw []byte) bool {
			var r protocol.StatsReply
			return rec.Code == 200 && json.Unmarshal(raw, &r) == nil && r.Status == "ok"
		})
	})
}

func FuzzChannelSelf(f *testing.F) {
	srv := fuzzServer(f)
	h := srv.Handler()
	req, _ := json.Marshal(protocol.ChannelSelfRequest{Info: deviceInfo(dev1), Channel: "beta"})
	for m := range byte(4) {
		f.Add(m, req, "")
	}
	f.Add(byte(2), []byte(nil), "app_id=com.example.app&platform=ios&is_prod=true&is_emulator=false")
	f.Add(byte(3), []byte(nil), "app_id=com.example.app&device_id=x&platform=android&is_prod=1&is_emulator=0")
	f.Add(byte(0), []byte(`{"channel":7}`), "")
	f.Fuzz(func(t *testing.T, m byte, body []byte, query string) {
		method := [...]string{"POST", "PUT", "GET", "DELETE"}[m%4]
		req := httptest.NewRequest(method, "/channel_self", bytes.NewReader(body))
		req.URL.RawQuery = query // any bytes, as a client could send them
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkReply(t, rec, func(raw []byte) bool { return rec.Code == 200 })
	})
}

func FuzzAdminJSON(f *testing.F) {
	srv := fuzzServer(f)
	h := srv.Handler()
	routes := []struct{ method, path string }{
		{"POST", "/admin/apps"},
		{"POST", "/admin/apps/com.example.app/bundles"},
		{"POST", "/admin/apps/com.example.app/channels"},
		{"PATCH", "/admin/apps/com.example.app/channels/beta"},
		{"POST", "/admin/apps/com.example.app/channels/production/rollout"},
		{"PATCH", "/admin/apps/com.example.app/channels/production/rollout"},
		{"POST", "/admin/apps/com.example.app/channels/production/rollback"},
		{"PUT", "/admin/apps/com.example.app/channels/production/guard"},
		{"PUT", "/admin/apps/com.example.app/devices/abc/channel"},
		{"PUT", "/admin/faults"},
	}
	seeds := []string{`{"app_id":"com.fuzz.app"}`, `{"name":"2.0.0","size":2048}`, `{"name":"x","public":true,"bundle":"1.2.0"}`,
		`{"bundle":"1.1.0"}`, `{"bundle":"1.2.0","percent_bp":500}`, `{"percent_bp":-1}`, `{"reason":"r"}`,
		`{"enabled":true,"threshold":0.5}`, `{"channel":"beta"}`, `{"cdn":{"error_rate":0.1},"api":{"retry_after_s":5}}`}
	for i, s := range seeds {
		f.Add(byte(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, r byte, body []byte) {
		rt := routes[int(r)%len(routes)]
		if rt.path == "/admin/apps/com.example.app/bundles" {
			var b struct{ Size int64 }
			if json.Unmarshal(body, &b) == nil && b.Size > 64<<10 {
				return // keep generated bundles small
			}
		}
		rec := serve(h, rt.method, rt.path, body, true)
		checkReply(t, rec, func(raw []byte) bool { return rec.Code < 300 })
	})
}
