package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/otasim/otasim/reference-server/refserver"
)

// testServer is a reference server on a loopback socket for the
// command's end-to-end tests; admin sends an admin call and fails the
// test on an error status.
type testServer struct {
	base  string
	token string
}

func startTestServer(t *testing.T) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{base: "http://" + ln.Addr().String(), token: "token-token"}
	srv, err := refserver.New(refserver.Config{DBPath: filepath.Join(t.TempDir(), "s.db"), AdminToken: ts.token, PublicURL: ts.base,
		Bounds: inProcessBounds()}) // a fleet on the same CPU: no CPU guard
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ts
}

func (ts *testServer) admin(t *testing.T, method, path string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ts.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b.String())
	}
}
