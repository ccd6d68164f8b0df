// Command benchtarget is the yardstick of the server benchmark: an HTTP
// server whose POST /updates drains the request body and answers a
// constant reply, the same bytes the reference server sent for the
// benchmark's request. Comparing the two shows what the /updates path
// (decoding, validation, decision, encoding, metrics) costs beyond
// net/http itself. Its POST /stats drains the body and acknowledges it,
// or, with -stats-shed, sheds that share of the posts in the reference
// server's 429 shape with a Retry-After of 1 or 2 s: the yardstick of the
// overload benchmark, a server that sheds as much as the reference server
// did and does no work.
//
// Usage: benchtarget -addr 127.0.0.1:8091 -body reply.json [-stats-shed 0.9]
//
// With -demo it runs the reference server's demo instead, with
// net/http/pprof on -pprof (CPU profiles and runtime traces), to profile
// the full path under the same load.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
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
	statsShed := flag.Float64("stats-shed", 0, "share of POST /stats answered 429 with Retry-After, in [0, 1]")
	flag.Parse()
	if *statsShed < 0 || *statsShed > 1 {
		return fmt.Errorf("-stats-shed %v: want a share within [0, 1]", *statsShed)
	}
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
	srv := &http.Server{Addr: *addr, Handler: newHandler(body, *statsShed), ReadHeaderTimeout: 10 * time.Second}
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

// newHandler answers POST /updates with body, POST /stats with an
// acknowledgement or, for a share shed of them, a 429, and GET /healthz
// with ok.
func newHandler(body []byte, shed float64) http.Handler {
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
	mux.HandleFunc("POST /stats", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		if rand.Float64() < shed {
			// Shed before the body is read, as the reference server sheds.
			retry := 1 + rand.IntN(2)
			h.Set("Retry-After", strconv.Itoa(retry))
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintf(w, `{"error":"too_many_requests","message":"Too many requests","moreInfo":{"reason":"server_busy","retryAfterSeconds":%d}}`, retry)
			return
		}
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 1<<20))
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	return mux
}
