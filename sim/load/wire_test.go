package load

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		status  int
		keep    bool
		wantErr bool
		rest    string // what the reader holds after the reply
	}{
		{"content length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\n{\"a\"}NEXT", 200, true, false, "NEXT"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\nNEXT", 200, true, false, "NEXT"},
		{"close", "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 503, false, false, ""},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\ncontent-length: 2\r\n\r\nokNEXT", 200, true, false, "NEXT"},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, false, false, ""},
		{"no length", "HTTP/1.1 200 OK\r\n\r\nbody until close", 200, false, false, "body until close"},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\nNEXT", 204, true, false, "NEXT"},
		{"bare LF", "HTTP/1.1 429 Too Many\nContent-Length: 1\n\nxNEXT", 429, true, false, "NEXT"},
		{"status without reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200, true, false, ""},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", 0, false, true, ""},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", 0, false, true, ""},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 200, false, true, ""},
		{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", 200, false, true, ""},
		{"bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 200, false, true, ""},
		{"gzip encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 200, false, true, ""},
		{"header without colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", 200, false, true, ""},
		{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 200, false, true, ""},
		{"truncated headers", "HTTP/1.1 200 OK\r\nContent-Len", 200, false, true, ""},
		{"empty", "", 0, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tt.in), 64)
			status, keep, err := readReply(br)
			if (err != nil) != tt.wantErr || status != tt.status || (err == nil && keep != tt.keep) {
				t.Fatalf("readReply = %d, %v, %v; want %d, %v, error %v", status, keep, err, tt.status, tt.keep, tt.wantErr)
			}
			if err == nil {
				rest, _ := io.ReadAll(br)
				if string(rest) != tt.rest {
					t.Errorf("left %q, want %q", rest, tt.rest)
				}
			}
		})
	}
}

// The parser agrees with net/http on every input net/http reads as a
// reply to a POST: same status, and it never panics.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 503 Unavailable\r\nConnection: close\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.0 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		status, _, err := readReply(bufio.NewReaderSize(bytes.NewReader(data), 4096))
		req, _ := http.NewRequest(http.MethodPost, "http://x/updates", nil)
		resp, herr := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), req)
		if err == nil && herr == nil && resp.StatusCode != status {
			t.Fatalf("status %d, net/http %d", status, resp.StatusCode)
		}
	})
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
	wc := w.conn()
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
	wc := w.conn()
	defer wc.close()
	info := &protocol.Info{DeviceID: "d", AppID: "a"}
	if res := wc.updates(t.Context(), info); res.Err != nil {
		t.Fatal(res.Err)
	}
	res := wc.updates(t.Context(), info) // same connection; the server stays silent
	var ne net.Error
	if !errors.As(res.Err, &ne) || !ne.Timeout() {
		t.Fatalf("want a timeout, got %v", res.Err)
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("%d connections, want 1 (no retry after a timeout)", got)
	}
}
