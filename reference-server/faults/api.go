package faults

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/otasim/otasim/protocol"
)

// APIMiddleware applies the API knobs in force to each request before next
// sees it: added latency (cut short when the client goes away), then a
// 429 too_many_requests with Retry-After, then a 503 server_error. With no
// API fault set it costs one atomic load.
func APIMiddleware(s *Switch, next http.Handler) http.Handler {
	return APIMiddlewareRand(s, NewRandomRand(), next)
}

// APIMiddlewareRand is APIMiddleware with the given source of decisions.
func APIMiddlewareRand(s *Switch, rnd *Rand, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := s.p.Load().API
		if !k.Active() {
			next.ServeHTTP(w, r)
			return
		}
		if err := Sleep(r.Context(), rnd.Delay(k.LatencyMs, k.JitterMs)); err != nil {
			// The client is gone; nobody reads an answer.
			return
		}
		if rnd.Hit(k.RateLimitRate) {
			w.Header().Set("Retry-After", strconv.Itoa(k.RetryAfterS))
			WriteError(w, http.StatusTooManyRequests, protocol.CodeTooManyRequests, "rate limited (injected fault)")
			return
		}
		if rnd.Hit(k.ErrorRate) {
			WriteError(w, http.StatusServiceUnavailable, protocol.CodeServerError, "server error (injected fault)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// WriteError writes the protocol error JSON for code with status.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	body, err := json.Marshal(protocol.NewError(code, message))
	if err != nil {
		// protocol.Error holds only strings; Marshal cannot fail on it.
		http.Error(w, message, status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
