package refserver

import (
	"log/slog"
	"net/http"
	"time"
)

// endpointFunc handles one device endpoint and returns its outcome (an
// error code, "update" or "ok") for metrics and logs.
type endpointFunc func(w http.ResponseWriter, r *http.Request) string

// reject writes a request refused before deciding and returns its code.
func (s *Server) reject(w http.ResponseWriter, r *rejection) string {
	writeReply(w, s.ctypeJSON, r.status, rejectionJSON(r))
	return r.code
}

// instrument counts and times an endpoint by outcome.
func (s *Server) instrument(name string, h endpointFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		outcome := h(w, r)
		took := time.Since(start)
		s.metrics.observe(name, outcome, took)
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("endpoint", name),
				slog.String("outcome", outcome), slog.Duration("took", took), slog.String("remote", r.RemoteAddr))
		}
	})
}
