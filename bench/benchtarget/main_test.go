package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/otasim/otasim/protocol"
)

func TestHandler(t *testing.T) {
	body := []byte(`{"version":"1.1.0","url":"http://127.0.0.1:8080/cdn/com.example.app/1.1.0.zip","checksum":"ab","session_key":""}` + "\n")
	srv := httptest.NewServer(newHandler(body, 0))
	defer srv.Close()
	for range 2 {
		resp, err := srv.Client().Post(srv.URL+"/updates", "application/json", strings.NewReader(`{"app_id":"com.example.app"}`))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(got) != string(body) {
			t.Fatalf("POST /updates: %d %q %v", resp.StatusCode, got, err)
		}
		if resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
		}
	}
	resp, err := srv.Client().Get(srv.URL + "/updates")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /updates: %d, want 405", resp.StatusCode)
	}
}

// TestHandlerStats checks the yardstick's /stats: acknowledged, or shed in
// the reference server's shape with a Retry-After the plugin honours.
func TestHandlerStats(t *testing.T) {
	for _, tc := range []struct {
		shed   float64
		status int
	}{{0, http.StatusOK}, {1, http.StatusTooManyRequests}} {
		srv := httptest.NewServer(newHandler([]byte("{}"), tc.shed))
		for range 3 {
			resp, err := srv.Client().Post(srv.URL+"/stats", "application/json", strings.NewReader(`[{"action":"set"}]`))
			if err != nil {
				t.Fatal(err)
			}
			var reply struct {
				Status string `json:"status"`
				Error  string `json:"error"`
			}
			err = json.NewDecoder(resp.Body).Decode(&reply)
			resp.Body.Close()
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("shed %v: %d %+v %v, want %d", tc.shed, resp.StatusCode, reply, err, tc.status)
			}
			ra := resp.Header.Get("Retry-After")
			switch {
			case tc.status == http.StatusOK && (reply.Status != "ok" || ra != ""):
				t.Errorf("acknowledged: %+v, Retry-After %q", reply, ra)
			case tc.status != http.StatusOK && (reply.Error != "too_many_requests" || ra != "1" && ra != "2"):
				t.Errorf("shed: %+v, Retry-After %q, want too_many_requests and 1 or 2", reply, ra)
			}
		}
		srv.Close()
	}
}

// TestServeDemo checks that the profiling twin serves the demo: the
// benchmark's request gets the update offer of `otasim serve --demo`.
func TestServeDemo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- serveDemo(ctx, ln, pln, "") }()
	// The listener queues the request until the demo is seeded and served.
	info := `{"platform":"android","device_id":"00000000-0000-4000-8000-000000000001","app_id":"com.example.app",` +
		`"version_build":"1.0.0","version_name":"1.0.0","plugin_version":"8.51.14","is_emulator":false,"is_prod":true}`
	resp, err := http.Post("http://"+ln.Addr().String()+"/updates", "application/json", strings.NewReader(info))
	if err != nil {
		t.Fatal(err)
	}
	var reply protocol.UpdateReply
	err = json.NewDecoder(resp.Body).Decode(&reply)
	resp.Body.Close()
	if err != nil || !reply.IsUpdate() || reply.Version != "1.1.0" {
		t.Fatalf("POST /updates: %d %+v %v; want the 1.1.0 offer", resp.StatusCode, reply, err)
	}
	resp, err = http.Get("http://" + pln.Addr().String() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("pprof index: %d", resp.StatusCode)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("serveDemo: %v", err)
	}
}
