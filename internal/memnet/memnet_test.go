package memnet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// net/http serves over the listener as over TCP: requests on a kept-alive
// connection keep a live context (the pipes' own timeout error made
// net/http cancel every request after the first), and bodies go both
// ways byte for byte.
func TestServeKeepAlive(t *testing.T) {
	ln := Listen()
	var conns atomic.Int64
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			time.Sleep(5 * time.Millisecond) // the background read runs meanwhile
			if err := r.Context().Err(); err != nil {
				t.Errorf("request %s: context %v", body, err)
			}
			w.Write(append([]byte("echo "), body...))
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	hc := &http.Client{Transport: &http.Transport{DialContext: ln.Dial}}
	for _, msg := range []string{"one", "two", "three", strings.Repeat("x", 100_000)} {
		resp, err := hc.Post("http://in-process.invalid/", "text/plain", strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != "echo "+msg {
			t.Fatalf("reply %.20q..., want %.20q...", got, "echo "+msg)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 4 requests, want 1 (keep-alive)", n)
	}
}

// A passed deadline is a net.Error timeout; a write to a closed
// connection is EPIPE, a read from it the end of the stream.
func TestErrors(t *testing.T) {
	ln := Listen()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	c, err := ln.Dial(context.Background(), "tcp", "whatever:1")
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past the deadline: %v, want a net.Error timeout", err)
	}
	c.SetReadDeadline(time.Time{})
	s.Close()
	if _, err := c.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("write to a closed connection: %v, want EPIPE", err)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("read from a closed connection: %v, want EOF", err)
	}
	ln.Close()
	if _, err := ln.Dial(context.Background(), "tcp", ""); err == nil {
		t.Error("dial after Close succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Listen().Dial(ctx, "tcp", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("dial with a cancelled context: %v", err)
	}
}
