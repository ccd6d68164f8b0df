// Package promtest starts a real Prometheus (Debian's prometheus
// package) for the reports' tests: on a loopback port, with its
// remote-write receiver on and its storage in the test's temporary
// folder, and queries it through its HTTP API with Prometheus' own Go
// client.
package promtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/otasim/otasim/reports/internal/realrun"
)

// Binary is where Debian's prometheus package installs Prometheus.
const Binary = "/usr/bin/prometheus"

// Server is a running Prometheus.
type Server struct {
	// URL is its base address (http://127.0.0.1:PORT).
	URL string
	API v1.API
	out *realrun.LockedBuffer
}

// WriteURL is the remote-write receiver's address.
func (s *Server) WriteURL() string { return s.URL + "/api/v1/write" }

// Output is what Prometheus logged so far.
func (s *Server) Output() string { return s.out.String() }

// Start starts Prometheus for t and waits until it is ready; the test's
// cleanup stops it. Where it is not installed the test is skipped, except
// under CI=true: CI installs it, so there its absence is a failure.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		bin = Binary
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("prometheus is missing, and CI must run this test (.ci/run installs Debian's prometheus package): %v", err)
		}
		t.Skipf("prometheus is missing (apt-get install prometheus); skipped here, CI always runs it")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	// Nothing to scrape: the data comes by remote write.
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 15s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for range 3 { // a port taken between picking and binding: pick again
		s, err := start(t, bin, cfg, dir)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("start prometheus: %v", lastErr)
	return nil
}

func start(t testing.TB, bin, cfg, dir string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	data, err := os.MkdirTemp(dir, "data")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+data,
		"--web.listen-address="+addr,
		"--web.enable-remote-write-receiver",
		"--log.level=warn",
	)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	out := &realrun.LockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	stop := func() {
		cancel()
		<-done
	}
	s := &Server{URL: "http://" + addr, out: out}
	// Ready within a bound generous for a loaded machine; polled, never
	// slept on.
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-done:
			stop()
			return nil, fmt.Errorf("prometheus exited:\n%s", out.String())
		default:
		}
		if resp, err := http.Get(s.URL + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("prometheus not ready after 90 s:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	client, err := api.NewClient(api.Config{Address: s.URL})
	if err != nil {
		stop()
		return nil, err
	}
	s.API = v1.NewAPI(client)
	t.Cleanup(stop)
	return s, nil
}

// Query runs an instant query now.
func (s *Server) Query(t testing.TB, expr string) model.Vector {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, warn, _, err := s.API.Query(ctx, expr, time.Now())
	if err != nil {
		t.Fatalf("query %s: %v", expr, err)
	}
	if len(warn) > 0 {
		t.Logf("query %s: warnings %v", expr, warn)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		t.Fatalf("query %s: a %s, want a vector", expr, v.Type())
	}
	return vec
}

// Scalar runs an instant query that must give one sample, and returns
// it; ok is false when the result is empty.
func (s *Server) Scalar(t testing.TB, expr string) (float64, bool) {
	t.Helper()
	vec := s.Query(t, expr)
	switch len(vec) {
	case 0:
		return 0, false
	case 1:
		return float64(vec[0].Value), true
	}
	t.Fatalf("query %s: %d samples, want one", expr, len(vec))
	return 0, false
}

// Eventually polls an instant query until it gives want or d has passed,
// and returns the last value (samples just written may take a moment to
// be queryable on a loaded machine).
func (s *Server) Eventually(t testing.TB, expr string, want float64, d time.Duration) (float64, bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		v, ok := s.Scalar(t, expr)
		if ok && v == want {
			return v, true
		}
		if time.Now().After(deadline) {
			return v, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}
