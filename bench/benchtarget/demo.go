package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/otasim/otasim/internal/pprofmux"
	"github.com/otasim/otasim/reference-server/refserver"
)

// serveDemo runs the reference server in its demo state on ln, as
// `otasim serve --demo` does, plus net/http/pprof on pprofLn: the
// profiling twin of the full path, so that a profile comes from the same
// code the benchmark measures. It closes both listeners.
// dbPath is the database file; empty: one in a temporary folder removed
// on return.
func serveDemo(ctx context.Context, ln, pprofLn net.Listener, dbPath string) error {
	defer pprofLn.Close()
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "benchtarget-demo-")
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "demo.db")
	}
	s, err := refserver.New(refserver.Config{DBPath: dbPath})
	if err != nil {
		_ = ln.Close()
		return err
	}
	if err := refserver.SeedDemo(ctx, s); err != nil {
		_ = s.Close()
		_ = ln.Close()
		return err
	}
	ps := &http.Server{Handler: pprofmux.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = ps.Serve(pprofLn) }()
	defer ps.Close()
	fmt.Fprintf(os.Stderr, "benchtarget: demo server on %s, pprof on %s\n", ln.Addr(), pprofLn.Addr())
	return s.Serve(ctx, ln)
}
