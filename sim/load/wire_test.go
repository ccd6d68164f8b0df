package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
)

// The request on the wire is the protocol client's check: POST to the
// URL's path and query, the same body bytes, JSON, the plugin's agent,
// and the connection kept for the next one.
func TestWireSendsTheCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type seen struct {
		method, uri, ctype, agent, host string
		body                            []byte
		conn                            int
	}
	got := make(chan seen, 4)
	go func() {
		for n := 1; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, _ := io.ReadAll(req.Body)
					got <- seen{req.Method, req.RequestURI, req.Header.Get("Content-Type"), req.UserAgent(), req.Host, body, n}
					_, _ = io.WriteString(c, "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 2\r\n\r\n{}")
				}
			}()
		}
	}()
	url := "http://" + ln.Addr().String() + "/updates?x=1"
	w, err := NewWire(url, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wc := w.conn(t.Context())
	defer wc.close()
	infos := []protocol.Info{{DeviceID: "d1", AppID: "a", VersionName: "builtin"}, {DeviceID: "d2", AppID: "a", CustomID: "é\"x"}}
	for i := range infos {
		if res := wc.updates(t.Context(), &infos[i]); res.Err != nil || res.Status != 429 || res.Done.Before(res.Sent) {
			t.Fatalf("request %d: %+v", i, res)
		}
		s := <-got
		want := client.AppendInfo(nil, &infos[i])
		if s.method != "POST" || s.uri != "/updates?x=1" || s.ctype != "application/json" || s.host != ln.Addr().String() ||
			s.agent != "otasim (capacitor-updater/"+protocol.PluginVersion+")" || !bytes.Equal(s.body, want) || s.conn != 1 {
			t.Errorf("request %d: %+v\nwant body %s on connection 1", i, s, want)
		}
	}
}

func TestNewWireRejects(t *testing.T) {
	for _, u := range []string{"https://example.com/updates", "ftp://x/y", "http:///updates", "://bad"} {
		if _, err := NewWire(u, 0); err == nil {
			t.Errorf("NewWire(%q): no error", u)
		}
	}
}

// The hard stop (the run's request context ending) ends a request the
// server never answers, well before its timeout, and is told apart.
func TestWireHardStop(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	w, err := NewWire("http://"+ln.Addr().String()+"/updates", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	wc := w.conn(ctx)
	defer wc.close()
	go func() {
		c := <-accepted
		defer c.Close()
		_, _ = http.ReadRequest(bufio.NewReader(c)) // then silence
		cancel()
		<-t.Context().Done()
	}()
	res := wc.updates(ctx, &protocol.Info{DeviceID: "d", AppID: "a"})
	if !errors.Is(res.Err, context.Canceled) || res.Status != 0 {
		t.Fatalf("want a cancelled request, got %d, %v", res.Status, res.Err)
	}
	// Stopped: no new connection either.
	if res := wc.updates(context.Background(), &protocol.Info{DeviceID: "d", AppID: "a"}); res.Err == nil {
		t.Fatal("a request after the hard stop succeeded")
	}
}

// A server that closes every connection after one reply, without saying
// so: the next request on the stale connection is sent again on a new one
// rather than counted as a failure.
func TestWireRedialsStaleConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			req, err := http.ReadRequest(bufio.NewReader(c))
			if err == nil {
				_, _ = io.Copy(io.Discard, req.Body)
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
			}
			c.Close()
		}
	}()
	w, err := NewWire("http://"+ln.Addr().String()+"/updates", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wc := w.conn(t.Context())
	defer wc.close()
	info := &protocol.Info{DeviceID: "d", AppID: "a"}
	for i := range 3 {
		if res := wc.updates(t.Context(), info); res.Err != nil || res.Status != 200 {
			t.Fatalf("request %d: %d, %v", i, res.Status, res.Err)
		}
	}
	if got := conns.Load(); got != 3 {
		t.Errorf("%d connections, want 3 (one per request)", got)
	}
}

// A server that never answers is a timeout, not a stale connection: no
// second attempt.
func TestWireTimeoutIsNotRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int64
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err == nil {
					_, _ = io.Copy(io.Discard, req.Body)
				}
				if conns.Load() == 1 {
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
				}
				<-done
				c.Close()
			}()
		}
	}()
	w, err := NewWire("http://"+ln.Addr().String()+"/updates", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	wc := w.conn(t.Context())
	defer wc.close()
	info := &protocol.Info{DeviceID: "d", AppID: "a"}
	if res := wc.updates(t.Context(), info); res.Err != nil {
		t.Fatal(res.Err)
	}
	res := wc.updates(t.Context(), info) // same connection; the server stays silent
	var te interface{ Timeout() bool }
	if !errors.As(res.Err, &te) || !te.Timeout() {
		t.Fatalf("want a timeout, got %v", res.Err)
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("%d connections, want 1 (no retry after a timeout)", got)
	}
}
