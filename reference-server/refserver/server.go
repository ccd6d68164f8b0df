// Package refserver is the reference live-update server: the Capgo plugin
// endpoints (/updates, /stats, /channel_self), bundle downloads through the
// CDN handler, the push hub, the admin API, /metrics and /healthz, with
// graceful shutdown.
//
// The /updates path answers from an immutable in-memory snapshot of the
// release state and never waits on disk; admin changes are written to
// SQLite first, then published. Stats are acknowledged only once committed.
package refserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/cdn"
	"github.com/otasim/otasim/reference-server/faults"
	"github.com/otasim/otasim/reference-server/push"
	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// Notifier tells connected devices that a channel changed (the push hub).
type Notifier interface {
	Notify(appID, channel, version string)
}

// Body limits of the device endpoints and the admin API.
const (
	MaxUpdatesBody = 64 << 10
	MaxStatsBody   = 1 << 20
	MaxAdminBody   = 1 << 20
	MaxUploadBody  = 512 << 20
)

// ActiveWindow is how recent a device's last check must be for the device
// to count as active.
const ActiveWindow = 24 * time.Hour

// Config configures a Server. Only DBPath is required.
type Config struct {
	// DBPath is the SQLite file; bundle files go to DBPath + ".bundles".
	DBPath string
	// PublicURL is the base of bundle URLs in /updates replies, e.g.
	// "http://127.0.0.1:8080". Empty: "http://" + the listener's address,
	// set by Serve.
	PublicURL string
	// AdminToken guards /admin/. Empty: one is generated (see AdminToken).
	AdminToken string
	// Now is the clock of every domain time (stats, guard windows and
	// cooldowns, history, device activity). Default time.Now. HTTP
	// timeouts stay on the real clock.
	Now func() time.Time
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Faults holds the fault knobs; nil creates a switch with none set.
	Faults *faults.Switch
	// Push is mounted on GET /push and notified of channel changes; nil
	// creates a push.Hub.
	Push PushHub
	// ShutdownTimeout bounds the drain of in-flight requests in Serve
	// (default 30 s).
	ShutdownTimeout time.Duration
}

// PushHub is the WebSocket hub the server mounts on /push.
type PushHub interface {
	http.Handler
	Notifier
	Close()
}

// Validate reports every problem of a configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.DBPath == "" {
		errs = append(errs, errors.New("refserver: DBPath is required"))
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		errs = append(errs, fmt.Errorf("refserver: PublicURL %q must start with http:// or https://", c.PublicURL))
	}
	if c.AdminToken != "" && len(c.AdminToken) < 8 {
		errs = append(errs, errors.New("refserver: AdminToken must be at least 8 characters"))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("refserver: ShutdownTimeout must not be negative"))
	}
	return errors.Join(errs...)
}

// Server is the reference update server. Create it with New.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	token   string
	st      *store.Store
	faults  *faults.Switch
	push    PushHub
	metrics *metrics
	handler http.Handler

	snap      atomic.Pointer[release.Snapshot]
	publicURL atomic.Pointer[string]
	adminMu   sync.Mutex // serialises release-state writers
	overrides overrides
	tally     *tally
	// constReplies is written once in New, then only read.
	constReplies map[protocol.Error][]byte
	// ctypeJSON is the Content-Type value of raw replies, never modified.
	ctypeJSON []string
	bodies    *bodyPool
	dj        wireDecoder

	closeOnce sync.Once
	closeErr  error
}

// New opens the database, restores the release state, the counts and the
// recent devices, and builds the handler.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, faults: cfg.Faults, push: cfg.Push,
		token: cfg.AdminToken, constReplies: constReplies(), ctypeJSON: []string{"application/json"},
		bodies: newBodyPool(), dj: newWireDecoder()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.faults == nil {
		s.faults = faults.NewSwitch()
	}
	if s.token == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("refserver: generate admin token: %w", err)
		}
		s.token = hex.EncodeToString(b[:])
	}
	u := strings.TrimRight(cfg.PublicURL, "/")
	s.publicURL.Store(&u)
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.DBPath)
	if err != nil {
		return nil, fmt.Errorf("refserver: %w", err)
	}
	s.st = st
	if err := s.restore(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if s.push == nil {
		s.push = push.NewHub(s.log)
	}
	s.metrics = newMetrics()
	s.handler = s.routes()
	s.publishLocked(s.snap.Load())
	return s, nil
}

// restore loads the release state, overrides, counts and the devices
// active within ActiveWindow.
func (s *Server) restore(ctx context.Context) error {
	snap, ovs, err := s.st.Load(ctx)
	if err != nil {
		return fmt.Errorf("refserver: restore: %w", err)
	}
	s.snap.Store(snap)
	s.overrides.init()
	for _, o := range ovs {
		s.overrides.set(o.AppID, o.DeviceID, o.Channel)
	}
	s.tally = newTally()
	counts, err := s.st.Counts(ctx)
	if err != nil {
		return fmt.Errorf("refserver: restore: %w", err)
	}
	s.tally.addCounts(counts)
	err = s.st.Devices(ctx, s.now().Add(-ActiveWindow), func(d store.Device) {
		s.tally.touch(d.AppID, d.DeviceID, deviceState{version: bundleName(d.VersionName, d.VersionBuild), build: d.VersionBuild,
			platform: d.Platform, seen: d.LastSeen, persisted: d.LastSeen})
	})
	if err != nil {
		return fmt.Errorf("refserver: restore: %w", err)
	}
	return s.restoreGuardWindows(ctx, snap)
}

// AdminToken returns the bearer token of the admin API.
func (s *Server) AdminToken() string { return s.token }

// Faults returns the switch holding the fault knobs.
func (s *Server) Faults() *faults.Switch { return s.faults }

// PublicURL returns the base of bundle URLs.
func (s *Server) PublicURL() string { return *s.publicURL.Load() }

// Handler returns the server's HTTP handler. Bundle URLs need a PublicURL:
// set it in Config when serving the handler yourself.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(name string, h endpointFunc) http.Handler {
		return faults.APIMiddleware(s.faults, s.instrument(name, h))
	}
	mux.Handle("POST /updates", api("updates", s.handleUpdates))
	mux.Handle("POST /stats", api("stats", s.handleStats))
	cs := api("channel_self", s.handleChannelSelf)
	for _, m := range []string{"POST", "PUT", "GET", "DELETE"} {
		mux.Handle(m+" /channel_self", cs)
	}
	bundles := cdn.New(s.cdnLookup, s.faults, s.log)
	mux.Handle("GET "+cdn.Pattern, bundles)
	mux.Handle("HEAD "+cdn.Pattern, bundles)
	mux.Handle("GET /push", s.push)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("/admin/", s.adminHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, codeNotFound, "no route for "+r.Method+" "+r.URL.Path)
	})
	return recoverer(s.log, mux)
}

// recoverer turns a panic in a handler into a 500 with the protocol error
// JSON and a log line, never a stack trace to the client.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				writeError(w, http.StatusInternalServerError, "server_error", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Serve serves on ln until ctx is cancelled, then shuts down gracefully:
// it stops accepting, drains in-flight requests (stats included, so
// nothing acknowledged is lost), closes the push hub, flushes the stats
// writer and closes the database.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.PublicURL() == "" {
		u := "http://" + ln.Addr().String()
		s.publicURL.Store(&u)
		s.adminMu.Lock()
		s.publishLocked(s.snap.Load())
		s.adminMu.Unlock()
	}
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		cerr := s.Close()
		return errors.Join(fmt.Errorf("refserver: serve: %w", err), cerr)
	case <-ctx.Done():
	}
	timeout := s.cfg.ShutdownTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s.log.Info("shutting down: draining in-flight requests")
	serr := hs.Shutdown(sctx)
	if serr != nil {
		serr = fmt.Errorf("refserver: shutdown: %w", serr)
	}
	<-errc
	return errors.Join(serr, s.Close())
}

// Close closes the push hub, flushes pending stats and device writes and
// closes the database. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.push.Close()
		s.closeErr = s.st.Close()
	})
	return s.closeErr
}

// nowMS is the server clock at the millisecond precision the database
// keeps, so that what the admin API shows does not change across a
// restart.
func (s *Server) nowMS() time.Time { return s.now().UTC().Truncate(time.Millisecond) }
