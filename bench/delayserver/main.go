// Command delayserver is the yardstick of the accuracy benchmark: POST
// /updates answers after exactly -delay (a timer), and the server measures
// its own time per request, the truth a load generator's figures are
// checked against. POST /stall?for=1s freezes it: no reply leaves, and no
// request starts its delay, until the stall ends, as if the process were
// paused.
//
//	GET  /truth   the server's own latency: {"count","p50_ms","p99_ms","max_ms"}
//	POST /reset   clears it
//	POST /stall?for=DURATION
//
// Usage: delayserver -addr 127.0.0.1:18093 -delay 50ms
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "delayserver:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:18093", "listen address")
	delay := flag.Duration("delay", 50*time.Millisecond, "time before every reply")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: *addr, Handler: newServer(*delay), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// reply is what /updates answers: the protocol's "up to date".
const reply = `{"error":"no_new_version_available","message":"up to date","kind":"up_to_date"}`

type server struct {
	delay time.Duration
	// stallUntil is the end of the current stall (Unix ns), 0 when none.
	stallUntil atomic.Int64
	mu         sync.Mutex
	truth      *hdrhistogram.Histogram // µs
}

func newServer(delay time.Duration) http.Handler {
	s := &server{delay: delay, truth: hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /updates", s.updates)
	mux.HandleFunc("GET /truth", s.getTruth)
	mux.HandleFunc("POST /reset", s.reset)
	mux.HandleFunc("POST /stall", s.stall)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	return mux
}

// waitStall blocks while a stall lasts.
func (s *server) waitStall() {
	for {
		d := time.Duration(s.stallUntil.Load() - time.Now().UnixNano())
		if d <= 0 {
			return
		}
		time.Sleep(d)
	}
}

func (s *server) updates(w http.ResponseWriter, r *http.Request) {
	s.waitStall() // a paused process does not start the work
	start := time.Now()
	_, _ = io.Copy(io.Discard, r.Body)
	time.Sleep(s.delay)
	s.waitStall() // nor does it answer
	took := time.Since(start)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, reply)
	s.mu.Lock()
	_ = s.truth.RecordValue(max(took.Microseconds(), 1))
	s.mu.Unlock()
}

func (s *server) getTruth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.truth
	out := map[string]any{"count": h.TotalCount(), "p50_ms": float64(h.ValueAtQuantile(50)) / 1000,
		"p99_ms": float64(h.ValueAtQuantile(99)) / 1000, "max_ms": float64(h.Max()) / 1000}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *server) reset(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.truth.Reset()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) stall(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("for"))
	if err == nil && (d <= 0 || d > time.Minute) {
		err = errors.New("want a duration above 0 and at most 1m")
	}
	if err != nil {
		http.Error(w, "for: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.stallUntil.Store(time.Now().Add(d).UnixNano())
	w.WriteHeader(http.StatusNoContent)
}
