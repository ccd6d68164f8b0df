package push

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"

	"github.com/otasim/otasim/protocol"
)

// The keep-alive tests run the hub with its real pongWait and pingPeriod
// (60 s and 54 s) inside a synctest bubble: time is the bubble's, so
// minutes pass at once and no machine, however loaded, changes the
// outcome. The devices reach the hub over in-memory connections
// (net.Pipe) served by a real http.Server, as synctest needs.

// pipeListener hands the hub's http.Server the server ends of net.Pipe
// connections.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial is the devices' side: a net.Pipe whose other end the listener
// accepts.
func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, net.ErrClosed
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// bubbleHub serves a hub with its real timing over pipes; stop closes
// the hub, the server and the listener so that the bubble's goroutines
// end.
func bubbleHub(t *testing.T) (*Hub, *pipeListener, func()) {
	t.Helper()
	hub := NewHub(nil)
	if hub.pongWait != pongWait || hub.pingPeriod != pingPeriod {
		t.Fatalf("the hub's timing is %v/%v, not the constants", hub.pongWait, hub.pingPeriod)
	}
	ln := newPipeListener()
	srv := &http.Server{Handler: hub}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	return hub, ln, func() {
		hub.Close()
		_ = srv.Close()
		_ = ln.Close()
		<-served
	}
}

// pipeDial connects a device to the hub and reads its subscription.
func pipeDial(t *testing.T, ln *pipeListener, app, channel string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{NetDialContext: ln.dial}
	u := "ws://pipe/push?" + url.Values{"app_id": {app}, "channel": {channel}, "device_id": {"3f8b1c2e-0000-4000-8000-000000000001"}}.Encode()
	conn, _, err := d.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_, b, err := conn.ReadMessage()
	var m protocol.PushMessage
	if err != nil || json.Unmarshal(b, &m) != nil || m.Type != protocol.PushSubscribed {
		t.Fatalf("first message %q, %v: want the subscription", b, err)
	}
	return conn
}

// TestPongsKeepAlive: a device that answers pings (gorilla's default ping
// handler pongs) stays connected ten minutes, many times pongWait, and
// still gets the hub's notification.
func TestPongsKeepAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hub, ln, stop := bubbleHub(t)
		defer stop()
		conn := pipeDial(t, ln, "com.one", "beta")
		defer conn.Close()
		var mu sync.Mutex
		pings := 0
		conn.SetPingHandler(func(data string) error {
			mu.Lock()
			pings++
			mu.Unlock()
			return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		msgs := make(chan protocol.PushMessage, 1)
		go func() {
			for {
				_, b, err := conn.ReadMessage()
				if err != nil {
					close(msgs)
					return
				}
				var m protocol.PushMessage
				_ = json.Unmarshal(b, &m)
				msgs <- m
			}
		}()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if hub.Clients() != 1 {
			t.Fatalf("the device was dropped: %d clients", hub.Clients())
		}
		hub.Notify("com.one", "beta", "1.2.0")
		if m, ok := <-msgs; !ok || m.Version != "1.2.0" {
			t.Fatalf("got %+v (open %v)", m, ok)
		}
		mu.Lock()
		defer mu.Unlock()
		if want := int(10 * time.Minute / pingPeriod); pings < want {
			t.Errorf("%d pings in 10 minutes, want %d", pings, want)
		}
	})
}

// TestSilentDeviceDropped: a device that never answers pings is dropped
// once pongWait has passed without a pong, and not before.
func TestSilentDeviceDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hub, ln, stop := bubbleHub(t)
		defer stop()
		conn := pipeDial(t, ln, "com.one", "beta")
		defer conn.Close()
		conn.SetPingHandler(func(string) error { return nil }) // no pong
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		}()
		time.Sleep(pongWait - time.Second)
		synctest.Wait()
		if hub.Clients() != 1 {
			t.Fatalf("dropped before pongWait: %d clients", hub.Clients())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if hub.Clients() != 0 {
			t.Fatalf("still connected after pongWait: %d clients", hub.Clients())
		}
		<-ended
	})
}
