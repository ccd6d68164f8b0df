// Package sabotage starts real servers on loopback that misbehave the way
// update servers do in production — every request a 5xx, a body that is
// not JSON, a 429 storm, connections accepted and never answered, reset
// or refused — for the tests that prove each is counted as the failure it
// is and judged as it should be. Every server is a real listener on
// 127.0.0.1, stopped by the test's cleanup.
package sabotage

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Status answers every request with code and a short HTML body, as a web
// server that does not speak the protocol does (python3 -m http.server
// answers a POST with 501 and such a page).
func Status(code int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "<html><body><h1>Error</h1></body></html>\n")
	})
}

// Body answers every request 200 with body (garbage, or JSON of the wrong
// shape).
func Body(contentType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		_, _ = io.WriteString(w, body)
	})
}

// RateLimited answers every request 429 with Retry-After and the
// protocol's error body.
func RateLimited(retryAfterS string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", retryAfterS)
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":"too_many_requests","message":"slow down"}`)
	})
}

// Delayed answers with next after d (a server slower than its baseline).
func Delayed(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body read first: a server only sees a client give up
		// once it has read the request.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}

// Serve serves h on a loopback listener; it returns the base URL.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

// Silent accepts connections and reads them, and never answers: a hung
// server. It returns the base URL.
func Silent(t testing.TB) string {
	return rawServer(t, func(c net.Conn) {
		_, _ = io.Copy(io.Discard, c) // until the client gives up
	})
}

// Reset accepts each connection, reads the request's first bytes, and
// resets it (RST, not FIN): a server that crashes on every request.
func Reset(t testing.TB) string {
	return rawServer(t, func(c net.Conn) {
		buf := make([]byte, 1)
		_, _ = c.Read(buf)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	})
}

// Refused returns a base URL on a loopback port nothing listens on.
func Refused(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// rawServer runs serve on every connection of a loopback listener until
// the test ends.
func rawServer(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}
