package refserver

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/otasim/otasim/reference-server/release"
)

// Error codes of the server's cross-origin and media-type refusals.
const (
	CodeCrossOrigin      = "cross_origin_refused"
	CodeUnsupportedMedia = "unsupported_media_type"
)

// allowedOrigin reports whether a browser page of origin may call the
// device endpoints, as the backend's CORS rule for them
// (utils/hono.ts:85-162): the app's own WebView (capacitor://localhost,
// ionic://localhost), a local page (http or https on localhost, 127.0.0.1
// or [::1]), or an origin the operator allowed (--cors-origin; the
// backend's are Capgo's own sites).
func (s *Server) allowedOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "capacitor", "ionic":
		if u.Hostname() == "localhost" {
			return true
		}
	case "http", "https":
		switch u.Hostname() {
		case "localhost", "127.0.0.1", "::1":
			return true
		}
	}
	return slices.Contains(s.cfg.CORSOrigins, strings.TrimRight(origin, "/"))
}

// sameOriginWrites refuses what a page of another site could make a
// browser send without asking first: a write from a page whose origin is
// not allowed (403), and a body typed text/plain or as a form (415), the
// only types a cross-site page may send without a preflight. The plugin
// sends no Origin and application/json. An allowed origin gets its
// Access-Control-Allow-Origin, as the backend answers.
func (s *Server) sameOriginWrites(next endpointFunc) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request) string {
		if origin := r.Header.Get("Origin"); origin != "" {
			if !s.allowedOrigin(origin) {
				if r.Method != http.MethodGet {
					writeReply(w, s.ctypeJSON, http.StatusForbidden, plainError(CodeCrossOrigin, "writes from the origin "+origin+" are refused"))
					return CodeCrossOrigin
				}
			} else {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Add("Vary", "Origin")
			}
		}
		if (r.Method == http.MethodPost || r.Method == http.MethodPut) && simpleBodyType(r.Header.Get("Content-Type")) {
			writeReply(w, s.ctypeJSON, http.StatusUnsupportedMediaType,
				plainError(CodeUnsupportedMedia, "the body must be JSON (Content-Type: application/json)"))
			return CodeUnsupportedMedia
		}
		return next(w, r)
	}
}

// simpleBodyType reports a Content-Type a cross-site page may send
// without a preflight (the Fetch standard's CORS-safelisted types).
func simpleBodyType(ct string) bool {
	// The plugin's type first, without parsing (ParseMediaType allocates).
	if ct == "" || strings.HasPrefix(ct, "application/json") {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
		return true
	}
	return false
}

// preflight answers a CORS preflight of a device endpoint explicitly: 204,
// the methods and headers the endpoint takes, and, for an allowed origin
// only, Access-Control-Allow-Origin (the backend's cors middleware,
// utils/hono.ts:164-168).
func (s *Server) preflight(methods string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Allow", methods+", OPTIONS")
		h.Add("Vary", "Origin")
		if origin := r.Header.Get("Origin"); origin != "" && s.allowedOrigin(origin) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", methods)
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			h.Set("Access-Control-Max-Age", "600")
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// pushGate lets a device onto the push hub only from an allowed origin
// (or none: a native client), for an app the server has, with a valid
// device id and channel name; it answers the refusals in the protocol's
// error shape.
func (s *Server) pushGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		app, device, channel := q.Get("app_id"), strings.ToLower(q.Get("device_id")), q.Get("channel")
		switch origin := r.Header.Get("Origin"); {
		case origin != "" && !s.allowedOrigin(origin):
			writeReply(w, s.ctypeJSON, http.StatusForbidden, plainError(CodeCrossOrigin, "the origin "+origin+" may not subscribe"))
		case app == "" || device == "" || channel == "":
			next.ServeHTTP(w, r) // the hub words the missing parameters
		case !release.ValidDeviceID(device) || !release.ValidChannelName(channel):
			writeReply(w, s.ctypeJSON, http.StatusBadRequest, plainError("invalid_params", "device_id must be a UUID and channel a channel name"))
		case s.state.Snapshot().Apps[app] == nil:
			writeReply(w, s.ctypeJSON, http.StatusNotFound, plainError(CodeNotFoundApp, "no app "+app+" on this server"))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// CodeNotFoundApp refuses a subscription to an app the server does not
// have.
const CodeNotFoundApp = "app_not_found"
