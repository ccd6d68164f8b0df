package refserver

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/otasim/otasim/protocol"
)

// Error codes of the admin API beside the protocol's.
const (
	codeUnauthorized   = "unauthorized"
	codeNotFound       = "not_found"
	codeConflict       = "conflict"
	codeInvalidRequest = "invalid_request"
)

// endpointFunc handles one device endpoint and returns its outcome (an
// error code, "update" or "ok") for metrics and logs.
type endpointFunc func(w http.ResponseWriter, r *http.Request) string

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, protocol.CodeServerError, "encode reply: "+err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// autoLengthBody is a size under which net/http itself sets the
// Content-Length of a reply written in one Write before the handler
// returns (http.ResponseWriter's documented "under a few KB"; its buffer is
// 2 KiB).
const autoLengthBody = 1 << 10

// writeRaw writes an encoded JSON reply (ending with a newline). ctype is
// the shared, never modified value of the Content-Type header: assigning
// it allocates nothing, where Header.Set allocates a slice per call.
func writeRaw(w http.ResponseWriter, ctype []string, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = ctype
	if len(body) >= autoLengthBody {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// constReplies encodes once the error replies that never vary, the most
// frequent being a fleet at rest checking for updates.
func constReplies() map[protocol.Error][]byte {
	out := map[protocol.Error][]byte{}
	for _, e := range []protocol.Error{
		protocol.NewError(protocol.CodeNoNewVersion, "No new version available"),
		protocol.NewError(protocol.CodeAlreadyOnBuiltin, "Already on builtin"),
		protocol.NewError(protocol.CodeNoChannel, "no default channel or override"),
		protocol.NewError(protocol.CodeNoBundle, "Cannot get bundle"),
	} {
		// Marshal cannot fail on a struct of strings.
		raw, _ := json.Marshal(e)
		out[e] = append(raw, '\n')
	}
	return out
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, protocol.NewError(code, msg))
}

// readBody reads a request body of at most limit bytes. It writes the
// error reply itself and returns false on failure.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge,
			"body of "+strconv.FormatInt(r.ContentLength, 10)+" bytes is over the limit of "+strconv.FormatInt(limit, 10))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge,
				"body is over the limit of "+strconv.FormatInt(limit, 10)+" bytes")
			return nil, false
		}
		writeError(w, http.StatusBadRequest, protocol.CodeInvalidJSONBody, "cannot read body: "+err.Error())
		return nil, false
	}
	return body, true
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
