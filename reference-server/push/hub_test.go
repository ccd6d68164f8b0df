package push

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/otasim/otasim/protocol"
)

// guard bounds every read of a test client so that a broken hub fails the
// test instead of hanging it; no result depends on it.
const guard = 10 * time.Second

func newServer(t *testing.T) (*Hub, *httptest.Server) {
	t.Helper()
	hub := NewHub(nil)
	srv := httptest.NewServer(hub)
	t.Cleanup(func() {
		hub.Close()
		srv.Close()
	})
	return hub, srv
}

// dial connects a device and waits for its subscription to be confirmed.
func dial(t *testing.T, srv *httptest.Server, app, channel string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/push?" + url.Values{
		"app_id": {app}, "channel": {channel}, "device_id": {"3f8b1c2e-0000-4000-8000-000000000001"}}.Encode()
	conn, resp, err := websocket.DefaultDialer.DialContext(t.Context(), u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", u, err, resp)
	}
	t.Cleanup(func() { conn.Close() })
	if got := read(t, conn); got != (protocol.PushMessage{Type: protocol.PushSubscribed, AppID: app, Channel: channel}) {
		t.Fatalf("first message %+v, want the subscription", got)
	}
	return conn
}

func read(t *testing.T, conn *websocket.Conn) protocol.PushMessage {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(guard))
	_, b, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m protocol.PushMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("message %q: %v", b, err)
	}
	return m
}

func TestNotifyRouting(t *testing.T) {
	hub, srv := newServer(t)
	a := dial(t, srv, "com.one", "beta")
	d := dial(t, srv, "com.one", "beta")
	b := dial(t, srv, "com.one", "production")
	c := dial(t, srv, "com.two", "beta")
	if n := hub.Clients(); n != 4 {
		t.Fatalf("Clients() = %d, want 4", n)
	}

	hub.Notify("com.one", "beta", "1.2.0")
	hub.Notify("com.one", "production", "2.0.0")
	hub.Notify("com.two", "beta", "3.0.0")
	hub.Notify("com.three", "beta", "4.0.0") // nobody listens

	upd := func(app, ch, v string) protocol.PushMessage {
		return protocol.PushMessage{Type: protocol.PushChannelUpdated, AppID: app, Channel: ch, Version: v}
	}
	for _, tt := range []struct {
		name string
		conn *websocket.Conn
		want protocol.PushMessage
	}{
		{"a", a, upd("com.one", "beta", "1.2.0")},
		{"d", d, upd("com.one", "beta", "1.2.0")},
		// Each device's first update is its own channel's: the earlier
		// notifications for other channels never reached it.
		{"b", b, upd("com.one", "production", "2.0.0")},
		{"c", c, upd("com.two", "beta", "3.0.0")},
	} {
		if got := read(t, tt.conn); got != tt.want {
			t.Errorf("device %s got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	// And nothing more: the next message of a is a later one.
	hub.Notify("com.one", "beta", "1.3.0")
	if got := read(t, a); got.Version != "1.3.0" {
		t.Errorf("device a got %+v after 1.2.0, want 1.3.0", got)
	}
}

func TestStalledDeviceDropped(t *testing.T) {
	hub, srv := newServer(t)
	stalled := dial(t, srv, "com.one", "slow") // never reads again
	healthy := dial(t, srv, "com.one", "fast")

	// Large messages fill the socket buffers of a device that does not
	// read; Notify must neither block nor wait for it.
	big := strings.Repeat("9", 64<<10)
	dropped := false
	for i := 0; i < 5000 && !dropped; i++ {
		hub.Notify("com.one", "slow", big)
		dropped = hub.Clients() == 1
	}
	if !dropped {
		t.Fatalf("a device that never reads is still connected after 5000 notifications (%d clients)", hub.Clients())
	}
	hub.Notify("com.one", "fast", "1.0.1")
	if got := read(t, healthy); got.Version != "1.0.1" {
		t.Errorf("healthy device got %+v", got)
	}
	// The dropped device's connection ends: it reads what was in flight,
	// then an error.
	_ = stalled.SetReadDeadline(time.Now().Add(guard))
	for {
		if _, _, err := stalled.ReadMessage(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatalf("dropped device's connection still open: %v", err)
			}
			break
		}
	}
}

func TestClose(t *testing.T) {
	hub, srv := newServer(t)
	conns := []*websocket.Conn{
		dial(t, srv, "com.one", "beta"),
		dial(t, srv, "com.one", "beta"),
		dial(t, srv, "com.two", "production"),
	}
	hub.Close() // returns once every connection's goroutines are done
	if n := hub.Clients(); n != 0 {
		t.Errorf("Clients() = %d after Close", n)
	}
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(guard))
		_, _, err := c.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("device %d: read after Close = %v, want a going-away close", i, err)
		}
	}
	hub.Notify("com.one", "beta", "9.9.9") // a no-op, not a panic
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/push?app_id=a&channel=b&device_id=c"
	_, resp, err := websocket.DefaultDialer.DialContext(t.Context(), u, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: %v, %v; want 503", err, resp)
	}
	hub.Close() // twice is fine
}

func TestBadRequests(t *testing.T) {
	hub, srv := newServer(t)
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"", http.StatusBadRequest},
		{"app_id=a&channel=b", http.StatusBadRequest},
		{"app_id=a&device_id=d", http.StatusBadRequest},
		{"channel=b&device_id=d", http.StatusBadRequest},
		{"app_id=a&channel=b&device_id=d", http.StatusBadRequest}, // not a WebSocket handshake
	} {
		resp, err := srv.Client().Get(srv.URL + "/push?" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET /push?%s: %d, want %d", tt.query, resp.StatusCode, tt.want)
		}
	}
	if hub.Clients() != 0 {
		t.Errorf("refused requests registered clients")
	}
}

func FuzzServeHTTP(f *testing.F) {
	f.Add("app_id=a&channel=b&device_id=c", "")
	f.Add("app_id=%zz", "websocket")
	f.Add("", "websocket")
	f.Add("app_id=a&channel=b&device_id=c&app_id=d", "Upgrade")
	hub := NewHub(nil)
	defer hub.Close()
	f.Fuzz(func(t *testing.T, query, upgrade string) {
		u, err := url.Parse("/push?" + query)
		if err != nil {
			return
		}
		req := httptest.NewRequest(http.MethodGet, "/push", nil)
		req.URL = u
		req.Header.Set("Connection", "upgrade")
		req.Header.Set("Upgrade", upgrade)
		rec := httptest.NewRecorder() // not hijackable: never upgraded
		hub.ServeHTTP(rec, req)
		if rec.Code < 400 {
			t.Fatalf("GET /push?%q with Upgrade %q answered %d", query, upgrade, rec.Code)
		}
		if hub.Clients() != 0 {
			t.Fatalf("a failed request registered a client")
		}
	})
}
