package push

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// newFastPingServer is a hub with short ping timing.
func newFastPingServer(t *testing.T, pongWait, pingPeriod time.Duration) (*Hub, *httptest.Server) {
	t.Helper()
	hub := NewHub(nil)
	hub.pongWait, hub.pingPeriod = pongWait, pingPeriod
	srv := httptest.NewServer(hub)
	t.Cleanup(func() {
		hub.Close()
		srv.Close()
	})
	return hub, srv
}

// TestPongsKeepAlive: a device that answers pings outlives pongWait. The
// margins are wide (a pong has a whole second, twenty pings' time) so that
// a loaded machine does not fail it.
func TestPongsKeepAlive(t *testing.T) {
	hub, srv := newFastPingServer(t, time.Second, 50*time.Millisecond)
	conn := dial(t, srv, "com.one", "beta")
	pings := 0
	conn.SetPingHandler(func(data string) error {
		pings++
		if pings == 30 { // 1.5 s in, past pongWait
			go hub.Notify("com.one", "beta", "1.2.0")
		}
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	if got := read(t, conn); got.Version != "1.2.0" {
		t.Fatalf("got %+v", got)
	}
	if pings < 30 {
		t.Fatalf("%d pings", pings)
	}
}

// TestSilentDeviceDropped: a device that never answers pings is dropped
// after pongWait.
func TestSilentDeviceDropped(t *testing.T) {
	hub, srv := newFastPingServer(t, 100*time.Millisecond, 20*time.Millisecond)
	conn := dial(t, srv, "com.one", "beta")
	conn.SetPingHandler(func(string) error { return nil }) // no pong
	_ = conn.SetReadDeadline(time.Now().Add(guard))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			t.Fatalf("the silent device is still connected: %v", err)
		}
		break
	}
	hub.Close() // waits for the connection's goroutines
	if n := hub.Clients(); n != 0 {
		t.Errorf("Clients() = %d", n)
	}
}
