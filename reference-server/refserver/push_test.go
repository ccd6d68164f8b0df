package refserver

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/otasim/otasim/protocol"
)

// TestPushOnChannelChange: a device connected to /push hears of a bundle
// released to its channel and of a rollout started on it.
func TestPushOnChannelChange(t *testing.T) {
	ts := startServer(t)
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/push?app_id=com.example.app&channel=production&device_id=" + dev1
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := func() protocol.PushMessage {
		t.Helper()
		// A deadline only so that a missing message fails instead of
		// hanging; nothing is measured.
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m protocol.PushMessage
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := read(); m.Type != protocol.PushSubscribed {
		t.Fatalf("first message %+v", m)
	}
	ts.admin(t, "PATCH", "/admin/apps/com.example.app/channels/production", map[string]any{"bundle": "1.0.0"}, nil)
	if m := read(); m.Type != protocol.PushChannelUpdated || m.Channel != "production" || m.Version != "1.0.0" {
		t.Fatalf("after release: %+v", m)
	}
	ts.admin(t, "POST", "/admin/apps/com.example.app/channels/production/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 100}, nil)
	if m := read(); m.Version != "1.2.0" {
		t.Fatalf("after rollout start: %+v", m)
	}
}
