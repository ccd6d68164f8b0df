package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/otasim/otasim/sim/results"
)

func progress(i int) results.Progress {
	return results.Progress{VirtualS: float64(i) * 600, DurationS: 86400, WallS: float64(i), Devices: 1000, Active: 900,
		Bundle: "1.1.0", Adoption: float64(i) / 100, RequestsPerS: 250, Requests: int64(250 * i), Failures: int64(i / 3),
		InFlight: 7, LagP99Ms: 1.5,
		AdoptionBySegment: map[string]float64{"beta": float64(i) / 50, "occasional": float64(i) / 200},
		LatencyMs:         map[string]results.LatencyQuantiles{"updates": {P50: 2, P95: 8, P99: float64(10 + i)}}}
}

func newServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.closeAll(); ts.Close() })
	return s, ts
}

func dial(t *testing.T, ts *httptest.Server) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func read(t *testing.T, c *websocket.Conn) message {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m message
	if err := c.ReadJSON(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// waitFor polls cond with a bound: it waits for the server's goroutines
// to notice a closed connection, it does not time anything.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLateBrowserGetsHistoryThenFrames(t *testing.T) {
	s, ts := newServer(t, Config{Title: "quickstart", History: 3})
	for i := 1; i <= 5; i++ {
		s.Publish(progress(i))
	}
	c := dial(t, ts)
	m := read(t, c)
	if m.Type != "history" || len(m.Frames) != 3 {
		t.Fatalf("first message %s with %d frames, want history with 3", m.Type, len(m.Frames))
	}
	for i, f := range m.Frames {
		if f.Seq != int64(3+i) {
			t.Errorf("history[%d].seq = %d, want %d (oldest first)", i, f.Seq, 3+i)
		}
	}
	waitFor(t, "the browser to register", func() bool { return s.Clients() == 1 })
	s.Publish(progress(6))
	m = read(t, c)
	if m.Type != "frame" || m.Frame == nil || m.Frame.Seq != 6 || !reflect.DeepEqual(m.Frame.Progress, progress(6)) {
		t.Fatalf("got %+v, want frame 6", m)
	}
	s.Finish(progress(7))
	if m = read(t, c); m.Type != "done" || !m.Frame.Done {
		t.Fatalf("got %+v, want done", m)
	}
	s.Publish(progress(8)) // after the end: ignored
	resp, err := http.Get(ts.URL + "/frames.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var frames []Frame
	if err := json.NewDecoder(resp.Body).Decode(&frames); err != nil {
		t.Fatal(err)
	}
	if len(frames) != 3 || frames[2].Seq != 7 {
		t.Errorf("frames.json: %+v", frames)
	}
}

// TestSlowBrowserDropsFrames: a browser that never reads fills its queue;
// Publish keeps returning and the frames are dropped, counted.
func TestSlowBrowserDropsFrames(t *testing.T) {
	s, ts := newServer(t, Config{})
	// A small receive buffer, so the server's writes block early.
	d := websocket.Dialer{NetDialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}).DialContext}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() // never read
	waitFor(t, "the browser to register", func() bool { return s.Clients() == 1 })
	// Far more than the kernel's socket buffers and the queue hold.
	big := progress(1)
	big.Bundle = strings.Repeat("b", 4000)
	for range 5_000 {
		s.Publish(big)
	}
	if s.Dropped() == 0 {
		t.Fatal("no frame dropped for a browser that never reads")
	}
}

func TestGoneBrowserIsForgotten(t *testing.T) {
	s, ts := newServer(t, Config{})
	c := dial(t, ts)
	waitFor(t, "the browser to register", func() bool { return s.Clients() == 1 })
	c.Close()
	waitFor(t, "the browser to be forgotten", func() bool { return s.Clients() == 0 })
	s.Publish(progress(1))
}

func TestBrowserMessageTooLarge(t *testing.T) {
	s, ts := newServer(t, Config{})
	c := dial(t, ts)
	waitFor(t, "the browser to register", func() bool { return s.Clients() == 1 })
	if err := c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", maxMessageSize+1))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the oversized browser to be dropped", func() bool { return s.Clients() == 0 })
}

func TestPage(t *testing.T) {
	_, ts := newServer(t, Config{Title: `quickstart <run>`, ECharts: []byte("var echarts; // </script>")})
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != 200 || !strings.Contains(page, "quickstart &lt;run&gt;") || strings.Contains(page, "// </script>") {
		t.Errorf("page: %d\n%.300s", resp.StatusCode, page)
	}
	if strings.Contains(page, "<script src=") {
		t.Error("offline page loads a script")
	}
	resp, err = http.Get(ts.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/nope: %d", resp.StatusCode)
	}
	s2, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(s2.page), "need the network") {
		t.Error("fallback page does not warn")
	}
	if _, err := New(Config{History: -1}); err == nil {
		t.Error("negative history: want an error")
	}
}

func TestServeStopsWithContext(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("serve: %v", err)
	}
	// The browser is told the run ended and the connection closes.
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("want a close, got %v", err)
			}
			break
		}
	}
}

// A snapshot's cumulative totals (for the Prometheus exporter) are not
// sent to browsers nor kept in the history: frames stay small.
func TestFramesWithoutTotals(t *testing.T) {
	s, ts := newServer(t, Config{Title: "quickstart"})
	p := progress(1)
	p.Totals = &results.Totals{Events: 42}
	s.Publish(p)
	resp, err := http.Get(ts.URL + "/frames.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(b), "totals") || !strings.Contains(string(b), `"seq":1`) {
		t.Errorf("frames.json: %s", b)
	}
}
