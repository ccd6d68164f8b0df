// Package dashboard serves a live view of a run: a page that draws the
// run's progress (virtual clock, adoption, requests/s, failures, latency,
// generator lag) from frames pushed over a WebSocket about once a second.
//
// The run publishes frames with Publish, which never blocks: each browser
// has a bounded queue, and a browser that is slow or gone loses frames
// (counted in Dropped), never slowing the engine. Each connection has one
// reader and one writer goroutine, with named deadlines, pings and a read
// limit.
package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/otasim/otasim/sim/results"
)

// Connection timing and limits.
const (
	// writeWait bounds one write to a browser.
	writeWait = 10 * time.Second
	// pongWait is how long a browser may stay silent (no pong) before it
	// is dropped; pingPeriod must be shorter.
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
	// maxMessageSize bounds what a browser may send (it sends nothing but
	// control frames).
	maxMessageSize = 512
	// sendQueue is how many messages wait for one browser before frames
	// are dropped.
	sendQueue = 16
	// defaultHistory is how many frames a browser that connects late gets
	// (an hour at one frame a second).
	defaultHistory = 3600
)

// Config configures a dashboard.
type Config struct {
	// Title names the run on the page (scenario and run id).
	Title string
	// ECharts is the ECharts build to inline (see html.LocateECharts); nil
	// loads it from AssetsHost.
	ECharts    []byte
	AssetsHost string
	// History is how many frames a browser gets when it connects (default
	// 3600).
	History int
	Logger  *slog.Logger
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.History < 0 {
		errs = append(errs, fmt.Errorf("history %d: must not be negative", c.History))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// Frame is one message to the browsers.
type Frame struct {
	Seq      int64            `json:"seq"`
	Progress results.Progress `json:"progress"`
	Done     bool             `json:"done,omitempty"`
}

// message is what goes over the WebSocket.
type message struct {
	Type   string  `json:"type"` // "history", "frame", "done"
	Frames []Frame `json:"frames,omitempty"`
	Frame  *Frame  `json:"frame,omitempty"`
}

// Server is a live dashboard.
type Server struct {
	cfg  Config
	page []byte
	up   websocket.Upgrader
	log  *slog.Logger

	mu      sync.Mutex
	history []Frame // ring, oldest first once full
	start   int
	seq     int64
	done    bool
	closed  bool // Serve ended: new browsers are turned away
	clients map[*client]struct{}

	dropped atomic.Int64
}

// New builds a dashboard; Serve or Handler put it on the network.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.History == 0 {
		cfg.History = defaultHistory
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	page, err := renderPage(cfg)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, page: page, log: cfg.Logger, clients: map[*client]struct{}{},
		up: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 16 << 10}}, nil
}

// Publish hands a progress snapshot to every browser. It never blocks on a
// browser: a full queue drops the frame for that browser.
func (s *Server) Publish(p results.Progress) { s.publish(p, false) }

// Finish publishes the last snapshot and tells the browsers the run ended.
func (s *Server) Finish(p results.Progress) { s.publish(p, true) }

func (s *Server) publish(p results.Progress, done bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.seq++
	p.Totals = nil // the page draws the snapshot's own figures; the totals are for exporters
	f := Frame{Seq: s.seq, Progress: p, Done: done}
	if len(s.history) < s.cfg.History {
		s.history = append(s.history, f)
	} else {
		s.history[s.start] = f
		s.start = (s.start + 1) % len(s.history)
	}
	s.done = done
	typ := "frame"
	if done {
		typ = "done"
	}
	b, err := json.Marshal(message{Type: typ, Frame: &f})
	if err != nil {
		return // a Progress always marshals; nothing to send otherwise
	}
	for c := range s.clients {
		select {
		case c.send <- b:
		default:
			s.dropped.Add(1)
		}
	}
}

// Dropped counts frames not delivered to a browser because its queue was
// full.
func (s *Server) Dropped() int64 { return s.dropped.Load() }

// Clients is the number of connected browsers.
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// historyLocked returns the frames oldest first.
func (s *Server) historyLocked() []Frame {
	out := make([]Frame, 0, len(s.history))
	out = append(out, s.history[s.start:]...)
	return append(out, s.history[:s.start]...)
}

// Handler serves the page at /, the WebSocket at /ws and the frames so
// far at /frames.json.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(s.page)
	})
	mux.HandleFunc("GET /frames.json", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		frames := s.historyLocked()
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(frames)
	})
	mux.HandleFunc("GET /ws", s.serveWS)
	return mux
}

// Serve serves the dashboard on ln until ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("dashboard: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx) // hijacked WebSockets end with the context below
	s.closeAll()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.clients {
		c.close()
	}
}
