// Package refserver is the reference live-update server: the Capgo plugin
// endpoints (/updates, /stats, /channel_self), answered as the Capgo
// backend answers every plugin version, bundle downloads through the CDN
// handler, the push hub, the admin API (package admin), /metrics and
// /healthz, with graceful shutdown.
//
// The device endpoints and the admin API share nothing but the state in
// force (package live). The /updates path answers from an immutable
// in-memory snapshot of it and never waits on disk; admin changes are
// written to SQLite first, then published. Stats are acknowledged only once
// committed.
package refserver

import (
	"cmp"
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
	"github.com/otasim/otasim/reference-server/admin"
	"github.com/otasim/otasim/reference-server/bundlecheck"
	"github.com/otasim/otasim/reference-server/cdn"
	"github.com/otasim/otasim/reference-server/faults"
	"github.com/otasim/otasim/reference-server/internal/httpjson"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/push"
	"github.com/otasim/otasim/reference-server/store"
)

// Notifier tells connected devices that a channel changed (the push hub).
type Notifier interface {
	Notify(appID, channel, version string)
}

// Body limits of the device endpoints (the backend sets none; these keep
// memory bounded): bytes, and the events of a /stats batch, five times the
// plugin's queue (protocol.MaxStatsBatch).
const (
	MaxUpdatesBody = 64 << 10
	MaxStatsBody   = 1 << 20
	MaxStatsEvents = 5 * protocol.MaxStatsBatch
)

// MinAdminTokenLen is the shortest admin token accepted.
const MinAdminTokenLen = 8

// Config configures a Server. Only DBPath is required.
type Config struct {
	// DBPath is the SQLite file; bundle files go to DBPath + ".bundles".
	DBPath string
	// PublicURL is the base of bundle URLs in /updates replies, e.g.
	// "http://127.0.0.1:8080". Empty: "http://" + the listener's address,
	// set by Serve.
	PublicURL string
	// AdminToken guards /admin/: at least MinAdminTokenLen characters.
	// Empty: one is generated (see AdminToken).
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
	// ChannelSelfIPLimit is the number of /channel_self calls for one app
	// one client address may make in a minute (default 1000, the
	// backend's). Addresses come from the cf-connecting-ip, x-forwarded-for
	// or x-real-ip header, as the backend reads them; without one the
	// limit does not apply.
	ChannelSelfIPLimit int
	// Bundles bounds uploaded bundles (admin API); the zero value is
	// bundlecheck.DefaultLimits.
	Bundles bundlecheck.Limits
	// Bounds limits connections and their time; zero fields take their
	// defaults.
	Bounds Bounds
	// MaxDevices bounds the devices the server keeps in memory, and its
	// device overrides (live.DefaultMaxDevices when 0).
	MaxDevices int
	// CORSOrigins are the origins (scheme://host[:port]) whose pages may
	// call the device endpoints besides the app's WebView and local pages.
	CORSOrigins []string
	// MetricsAuth says whether GET /metrics needs the admin token:
	// MetricsAuthAuto (the default) when Serve listens beyond loopback.
	MetricsAuth MetricsAuth
}

// MetricsAuth says when /metrics needs the admin token. /metrics names
// apps, channels (private ones included) and rollout states.
type MetricsAuth string

// The choices of MetricsAuth.
const (
	MetricsAuthAuto MetricsAuth = "auto" // on when listening beyond loopback
	MetricsAuthOn   MetricsAuth = "on"
	MetricsAuthOff  MetricsAuth = "off"
)

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
	if c.AdminToken != "" && len(c.AdminToken) < MinAdminTokenLen {
		errs = append(errs, fmt.Errorf("refserver: AdminToken must be at least %d characters", MinAdminTokenLen))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("refserver: ShutdownTimeout must not be negative"))
	}
	if c.MaxDevices < 0 {
		errs = append(errs, errors.New("refserver: MaxDevices must not be negative"))
	}
	if c.ChannelSelfIPLimit < 0 {
		errs = append(errs, errors.New("refserver: ChannelSelfIPLimit must not be negative"))
	}
	errs = append(errs, c.Bounds.Validate())
	switch c.MetricsAuth {
	case "", MetricsAuthAuto, MetricsAuthOn, MetricsAuthOff:
	default:
		errs = append(errs, fmt.Errorf("refserver: MetricsAuth %q: want auto, on or off", c.MetricsAuth))
	}
	return errors.Join(errs...)
}

// Server is the reference update server. Create it with New.
type Server struct {
	cfg     Config
	bounds  Bounds
	log     *slog.Logger
	now     func() time.Time
	token   string
	faults  *faults.Switch
	push    PushHub
	metrics *metrics
	handler http.Handler

	state *live.State
	admin *admin.API

	cpu cpuGuard
	// metricsAuth: /metrics needs the admin token (MetricsAuth, resolved
	// by Serve for auto).
	metricsAuth atomic.Bool

	replies *constReplies
	// ctypeJSON is the Content-Type value of raw replies, never modified.
	ctypeJSON []string
	bodies    *bodyPool
	scratch   scratchPool
	dj        wireDecoder
	self      selfLimits
	enum      enumerationGuard
	plugins   pluginCache

	closeOnce sync.Once
	closeErr  error
}

// New opens the database, restores the state in force and builds the
// handler.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, bounds: cfg.Bounds.withDefaults(), log: cfg.Logger, now: cfg.Now, faults: cfg.Faults, push: cfg.Push,
		token: cfg.AdminToken, replies: newConstReplies(), ctypeJSON: []string{"application/json"},
		bodies: newBodyPool(), dj: newWireDecoder()}
	s.self.ipLimit = cmp.Or(cfg.ChannelSelfIPLimit, DefaultChannelSelfIPLimit)
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
	if s.push == nil {
		s.push = push.NewHub(s.log)
	}
	s.metrics = newMetrics()
	st, err := live.Open(context.Background(), live.Config{DBPath: cfg.DBPath,
		PublicURL: strings.TrimRight(cfg.PublicURL, "/"), Now: s.now, Logger: s.log,
		Notify: s.push.Notify, Observer: s.metrics, MaxDevices: cfg.MaxDevices,
		Writer: store.Config{MaxPending: s.bounds.StatsQueue, DedupWindow: s.bounds.RetryWindow, DedupMax: s.bounds.RetryMax}})
	if err != nil {
		s.push.Close()
		return nil, fmt.Errorf("refserver: %w", err)
	}
	s.state = st
	s.metrics.watchDevices(st.DeviceCounts)
	s.metrics.watchWriter(st.StatsQueue, st.WriterStats)
	s.metrics.watchCPU(&s.cpu)
	s.admin, err = admin.New(admin.Config{State: st, Faults: s.faults, Token: s.token, Logger: s.log, Bundles: cfg.Bundles,
		MinUploadRate: s.bounds.MinTransferRate, UploadBase: s.bounds.ReadTimeout, CallTimeout: AdminCallTimeout, Auth: s.metrics})
	if err != nil {
		st.Close()
		s.push.Close()
		return nil, fmt.Errorf("refserver: %w", err)
	}
	s.metricsAuth.Store(cfg.MetricsAuth == MetricsAuthOn)
	s.handler = s.routes()
	return s, nil
}

// AdminToken returns the bearer token of the admin API.
func (s *Server) AdminToken() string { return s.token }

// Faults returns the switch holding the fault knobs.
func (s *Server) Faults() *faults.Switch { return s.faults }

// PublicURL returns the base of bundle URLs.
func (s *Server) PublicURL() string { return s.state.PublicURL() }

// Handler returns the server's HTTP handler. Bundle URLs need a PublicURL:
// set it in Config when serving the handler yourself.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	g := newGates(s.bounds, s.metrics, &s.cpu)
	api := func(g *gate, limit int64, h endpointFunc) http.Handler {
		return faults.APIMiddleware(s.faults, s.instrument(g.name, s.admit(g, limit, s.sameOriginWrites(h))))
	}
	mux.Handle("POST /updates", api(&g.updates, MaxUpdatesBody, s.handleUpdates))
	mux.Handle("POST /stats", api(&g.stats, MaxStatsBody, s.handleStats))
	cs := api(&g.channelSelf, MaxUpdatesBody, s.handleChannelSelf)
	for _, m := range []string{"POST", "PUT", "GET", "DELETE"} {
		mux.Handle(m+" /channel_self", cs)
	}
	mux.Handle("OPTIONS /updates", s.preflight("POST, GET"))
	mux.Handle("OPTIONS /stats", s.preflight("POST, GET"))
	mux.Handle("OPTIONS /channel_self", s.preflight("POST, PUT, GET, DELETE"))
	// GET /updates and GET /stats are the backend's health checks
	// (plugins/updates.ts:68-70, plugins/stats.ts:383-385).
	health := func(w http.ResponseWriter, _ *http.Request) {
		writeReply(w, s.ctypeJSON, http.StatusOK, s.replies.statusOK)
	}
	mux.HandleFunc("GET /updates", health)
	mux.HandleFunc("GET /stats", health)
	transfer := cdn.Options{MinRate: s.bounds.MinTransferRate, WriteBase: s.bounds.WriteTimeout}
	bundles := cdn.NewWithOptions(s.cdnLookup, s.faults, s.log, transfer)
	mux.Handle("GET "+cdn.Pattern, bundles)
	mux.Handle("HEAD "+cdn.Pattern, bundles)
	files := cdn.NewFiles(s.fileLookup, s.faults, s.log, transfer)
	mux.Handle("GET "+cdn.FilePattern, files)
	mux.Handle("HEAD "+cdn.FilePattern, files)
	mux.Handle("GET /push", s.pushGate(s.push))
	scrape, guarded := s.metrics.handler(), s.admin.RequireToken(s.metrics.handler())
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if s.metricsAuth.Load() {
			guarded.ServeHTTP(w, r)
			return
		}
		scrape.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("/admin/", s.admin.Handler())
	// Any other route, or a method a route does not take, is the backend's
	// catch-all 404 (utils/hono.ts:243-249).
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeReply(w, s.ctypeJSON, http.StatusNotFound, s.replies.notFound)
	})
	return recoverer(s.log, mux)
}

// cdnLookup gives the CDN handler a bundle file from the state in force.
func (s *Server) cdnLookup(appID, version string) (cdn.Bundle, bool) {
	a := s.state.Snapshot().Apps[appID]
	if a == nil {
		return cdn.Bundle{}, false
	}
	b := a.Bundles[version]
	if b == nil || b.Path == "" || b.Deleted {
		return cdn.Bundle{}, false
	}
	return cdn.Bundle{Path: b.Path, Size: b.Size, SHA256: b.SHA256}, true
}

// fileLookup gives the CDN handler a stored manifest file of an app.
func (s *Server) fileLookup(appID, object string) (cdn.Bundle, bool) {
	if s.state.Snapshot().Apps[appID] == nil {
		return cdn.Bundle{}, false
	}
	size, ok := s.state.ObjectSize(appID, object)
	if !ok {
		return cdn.Bundle{}, false
	}
	return cdn.Bundle{Path: s.state.ObjectPath(appID, object), Size: size, SHA256: object}, true
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
				httpjson.Raw(w, http.StatusInternalServerError, []byte(`{"error":"unknown_error","message":"Unknown error","moreInfo":{}}`+"\n"))
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
		s.state.SetPublicURL("http://" + ln.Addr().String())
	}
	b := s.bounds
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: b.HeaderTimeout,
		ReadTimeout:       b.ReadTimeout,
		WriteTimeout:      b.WriteTimeout,
		IdleTimeout:       b.IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.warnExposed(ln.Addr())
	if s.cfg.MetricsAuth == "" || s.cfg.MetricsAuth == MetricsAuthAuto {
		s.metricsAuth.Store(!loopback(ln.Addr()))
	}
	ln = newConnListener(ln, b.MaxConns, s.metrics)
	gctx, stopGuard := context.WithCancel(ctx)
	defer stopGuard()
	if !b.NoCPUGuard {
		go s.cpu.run(gctx)
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

// warnExposed logs a warning when the server listens beyond loopback with
// a generated admin token (printed at start, so in logs and terminals).
func (s *Server) warnExposed(addr net.Addr) {
	if s.cfg.AdminToken == "" && !loopback(addr) {
		s.log.Warn("listening on a non-loopback address with a generated admin token: anyone who reads this process's output can change releases; set --admin-token (OTASIM_ADMIN_TOKEN)",
			"addr", addr.String())
	}
}

// loopback reports whether a listener's address is on loopback only.
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return true // in-memory or Unix: not reachable from another host
	}
	return tcp.IP.IsLoopback()
}

// Close closes the push hub, flushes pending stats and device writes and
// closes the database. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.push.Close()
		s.closeErr = s.state.Close()
	})
	return s.closeErr
}
