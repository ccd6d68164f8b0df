package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/results"
)

// countConns starts srv counting the connections it accepts.
func countConns(srv *httptest.Server) *atomic.Int64 {
	var n atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	srv.Start()
	return &n
}

// Calls on the plain-HTTP path share at most Connections keep-alive
// connections, dialled through Config.Dial; every call gets its reply.
func TestFastConnections(t *testing.T) {
	var inside, most atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inside.Add(1)
		defer inside.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(2 * time.Millisecond)
		io.WriteString(w, `{"error":"no_new_version_available","kind":"up_to_date"}`)
	}))
	conns := countConns(srv)
	defer srv.Close()
	var dials atomic.Int64
	c, err := New(Config{Endpoints: Endpoints{Updates: srv.URL + "/updates", Stats: srv.URL + "/stats", Channel: srv.URL + "/channel_self"},
		Connections: 3, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			var reply protocol.UpdateReply
			if res := c.Updates(context.Background(), info(), &reply); res.Err != nil || res.Status != 200 || reply.Kind != protocol.KindUpToDate {
				t.Errorf("call: %+v %+v", res, reply)
			}
		})
	}
	wg.Wait()
	if n := conns.Load(); n > 3 || most.Load() > 3 || dials.Load() != n {
		t.Errorf("%d connections (%d dials), %d calls at once at most; want at most 3, all dialled through Config.Dial", n, dials.Load(), most.Load())
	}
}

// A kept-alive connection the server closed while idle is dialled again
// and the call sent once more: the caller sees no error.
func TestFastServerClosedIdle(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"status":"ok"}`)
	}))
	conns := countConns(srv)
	defer srv.Close()
	c := newClient(t, srv.URL)
	for i := range 3 {
		var cr ChannelReply
		if res := c.GetChannel(context.Background(), info(), &cr); res.Err != nil || cr.Status != "ok" {
			t.Fatalf("call %d: %+v", i, res)
		}
		srv.CloseClientConnections() // the server closes the idle connection
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (one per call, each after the server closed the last)", n)
	}
}

// A call ends when its context does, and when the API timeout passes;
// the connection is dropped, the next call gets a new one. A reply over
// the limit is refused.
func TestFastCancelTimeoutLimit(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stats":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/channel_self":
			w.Write([]byte(strings.Repeat(" ", maxReply+1)))
		default:
			io.WriteString(w, `{"error":"no_new_version_available","kind":"up_to_date"}`)
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(Config{Endpoints: Endpoints{Updates: srv.URL + "/updates", Stats: srv.URL + "/stats", Channel: srv.URL + "/channel_self"},
		Connections: 1, ResponseTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	var sr protocol.StatsReply
	var ne net.Error
	if res := c.Stats(ctx, nil, &sr); !errors.Is(res.Err, context.Canceled) || errors.As(res.Err, &ne) || res.Status != 0 ||
		res.Outcome != results.OutcomeNetworkError || res.Cause != CauseCanceled {
		t.Errorf("cancelled call: %+v", res)
	}
	if res := c.Stats(context.Background(), nil, &sr); res.Err == nil || res.Status != 0 || res.Done.Sub(res.Sent) < 300*time.Millisecond {
		t.Errorf("call past the API timeout: %+v", res)
	}
	var reply protocol.UpdateReply
	if res := c.Updates(context.Background(), info(), &reply); res.Err != nil || reply.Kind != protocol.KindUpToDate {
		t.Errorf("call after two failed ones: %+v", res)
	}
	var cr ChannelReply
	if res := c.SetChannel(context.Background(), info(), "beta", &cr); res.Err == nil || !strings.Contains(res.Err.Error(), "reply over") {
		t.Errorf("reply over the limit: %+v", res)
	}
}

// rawServer accepts connections on loopback and runs serve on each.
func rawServer(t *testing.T, serve func(c net.Conn, n int)) (addr string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c, int(conns.Add(1)))
		}
	}()
	return ln.Addr().String(), conns
}

// The request on the wire: POST to the URL's path and query, the body
// AppendInfo writes, JSON, the device's User-Agent, the host, and the
// connection kept for the next request.
func TestFastSendsTheCheck(t *testing.T) {
	type seen struct {
		method, uri, ctype, agent, host string
		body                            []byte
		conn                            int
	}
	got := make(chan seen, 4)
	addr, _ := rawServer(t, func(c net.Conn, n int) {
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			body, _ := io.ReadAll(req.Body)
			got <- seen{req.Method, req.RequestURI, req.Header.Get("Content-Type"), req.UserAgent(), req.Host, body, n}
			_, _ = io.WriteString(c, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 2\r\n\r\n{}")
		}
	})
	c := newClient(t, "http://"+addr)
	infos := []protocol.Info{*info(), {Platform: "android", DeviceID: "d2", AppID: "a.b", CustomID: "é\"x", PluginVersion: "8.0.0", VersionOS: "14"}}
	for i := range infos {
		var reply protocol.UpdateReply
		if res := c.Updates(context.Background(), &infos[i], &reply); res.Err != nil || res.Status != 429 || res.RetryAfter != 7*time.Second ||
			res.Done.Before(res.Sent) {
			t.Fatalf("request %d: %+v", i, res)
		}
		s := <-got
		want := AppendInfo(nil, &infos[i])
		if s.method != "POST" || s.uri != "/updates?x=1" || s.ctype != "application/json" || s.host != addr ||
			s.agent != UserAgent(&infos[i]) || !bytes.Equal(s.body, want) || s.conn != 1 {
			t.Errorf("request %d: %+v\nwant body %s, agent %q, on connection 1", i, s, want, UserAgent(&infos[i]))
		}
	}
}

// The path and query go on the wire as the endpoint gives them, as
// net/http sends them: not normalised ("//" and "%2F" kept).
func TestFastSendsThePathAsGiven(t *testing.T) {
	uris := make(chan string, 1)
	addr, _ := rawServer(t, func(c net.Conn, _ int) {
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		uris <- req.RequestURI
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
	})
	const path = "/fn//v1/..%2Fupdates?x=a%2Fb"
	base := "http://" + addr
	c, err := New(Config{Endpoints: Endpoints{Updates: base + path, Stats: base + "/stats", Channel: base + "/channel_self"}, Connections: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var reply protocol.UpdateReply
	c.Updates(context.Background(), info(), &reply)
	if got := <-uris; got != path {
		t.Errorf("request URI %q, want %q", got, path)
	}
}

// A server that closes every connection after one reply without saying
// so: the next request on the stale connection is sent again on a new
// one rather than counted as a failure. A server that never answers is a
// timeout, not a stale connection: no second attempt.
func TestFastStaleAndSilent(t *testing.T) {
	addr, conns := rawServer(t, func(c net.Conn, _ int) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err == nil {
			_, _ = io.Copy(io.Discard, req.Body)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}")
		}
		c.Close()
	})
	c := newClient(t, "http://"+addr)
	for i := range 3 {
		var cr ChannelReply
		if res := c.GetChannel(context.Background(), info(), &cr); res.Err != nil || cr.Status != "ok" {
			t.Fatalf("request %d: %+v", i, res)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (one per request)", n)
	}

	done := make(chan struct{})
	defer close(done)
	addr, conns = rawServer(t, func(c net.Conn, n int) {
		defer c.Close()
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err == nil {
			_, _ = io.Copy(io.Discard, req.Body)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}")
			_, _ = http.ReadRequest(br) // then silence
		}
		<-done
	})
	c, err := New(Config{Endpoints: Endpoints{Updates: "http://" + addr + "/updates", Stats: "http://" + addr + "/stats",
		Channel: "http://" + addr + "/channel_self"}, Connections: 1, ResponseTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var cr ChannelReply
	if res := c.GetChannel(context.Background(), info(), &cr); res.Err != nil {
		t.Fatal(res.Err)
	}
	res := c.GetChannel(context.Background(), info(), &cr) // same connection; the server stays silent
	var te interface{ Timeout() bool }
	if !errors.As(res.Err, &te) || !te.Timeout() {
		t.Fatalf("want a timeout, got %v", res.Err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1 (no retry after a timeout)", n)
	}
}

// A device's platform may bound its API calls in place of the response
// timeout (the Android plugin's OkHttp defaults): against a server that
// never answers, an iOS call ends at the response timeout and an Android
// one at its platform's bound, each before the context's far deadline.
func TestPlatformTimeouts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body read, so that the server sees the client give up.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer srv.Close()
	ep := Endpoints{Updates: srv.URL + "/updates", Stats: srv.URL + "/stats", Channel: srv.URL + "/channel_self"}
	for _, c := range []struct {
		platform          string
		response, android time.Duration
	}{
		{"ios", 200 * time.Millisecond, time.Hour},
		{"android", time.Hour, 200 * time.Millisecond},
	} {
		cl, err := New(Config{Endpoints: ep, Connections: 1, ResponseTimeout: c.response,
			PlatformTimeouts: map[string]time.Duration{"android": c.android}})
		if err != nil {
			t.Fatal(err)
		}
		in := info()
		in.Platform = c.platform
		// A call bounded by the wrong timeout ends here instead, 100
		// times later than the right one: the margin, not a timing.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var reply protocol.UpdateReply
		res := cl.Updates(ctx, in, &reply)
		if took := res.Done.Sub(res.Sent); res.Outcome != results.OutcomeTimeout || took > 10*time.Second {
			t.Errorf("%s: %+v, after %v (the test's deadline is 20 s)", c.platform, res, took)
		}
		cancel()
		cl.Close()
	}
}
