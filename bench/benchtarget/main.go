// Command benchtarget is the yardstick of the server benchmark: an HTTP
// server whose POST /updates drains the request body and answers a
// constant reply, the same bytes the reference server sent for the
// benchmark's request. Comparing the two shows what the /updates path
// (decoding, validation, decision, encoding, metrics) costs beyond
// net/http itself.
//
// Usage: benchtarget -addr 127.0.0.1:8091 -body reply.json
//
// With -demo it runs the reference server's demo instead, with
// net/http/pprof on -pprof, to profile the full path under the same load.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchtarget:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	bodyPath := flag.String("body", "", "file holding the constant reply of POST /updates (required without -demo)")
	demo := flag.Bool("demo", false, "serve the reference server's demo instead, with pprof")
	pprofAddr := flag.String("pprof", "127.0.0.1:18092", "pprof listen address of -demo")
	dbPath := flag.String("db", "", "database file of -demo (default: a temporary one, removed on exit)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *demo {
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		pln, err := net.Listen("tcp", *pprofAddr)
		if err != nil {
			ln.Close()
			return err
		}
		return serveDemo(ctx, ln, pln, *dbPath)
	}
	if *bodyPath == "" {
		return errors.New("-body is required")
	}
	body, err := os.ReadFile(*bodyPath)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, Handler: newHandler(body), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	}
}

// newHandler answers POST /updates with body and GET /healthz with ok.
func newHandler(body []byte) http.Handler {
	length := strconv.Itoa(len(body))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /updates", func(w http.ResponseWriter, r *http.Request) {
		// Read the request like the real handler must, bounded the same.
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 64<<10))
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	return mux
}
