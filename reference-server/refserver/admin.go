package refserver

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/store"
)

// apiError is an error with its HTTP reply.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func badRequest(err error) *apiError {
	return &apiError{http.StatusBadRequest, codeInvalidRequest, strings.ReplaceAll(err.Error(), "\n", "; ")}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, codeNotFound, fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, codeConflict, fmt.Sprintf(format, args...)}
}

// replyErr writes the reply of an error: its own for an apiError, 409 for
// store.ErrExists, else a 500 that is logged.
func (s *Server) replyErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		writeError(w, ae.status, ae.code, ae.msg)
	case errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, codeConflict, err.Error())
	default:
		s.log.Error("admin: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, protocol.CodeServerError, "storage failed; the change was not applied")
	}
}

// adminFunc handles an admin call: it returns the reply body and status,
// or an error.
type adminFunc func(r *http.Request) (status int, reply any, err error)

func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f adminFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			status, reply, err := f(r)
			if err != nil {
				s.replyErr(w, r, err)
				return
			}
			writeJSON(w, status, reply)
		})
	}
	const app = "/admin/apps/{app}"
	const ch = app + "/channels/{channel}"
	h("POST /admin/apps", s.adminCreateApp)
	h("GET /admin/apps", s.adminListApps)
	h("GET "+app, s.adminGetApp)
	h("POST "+app+"/bundles", s.adminGenerateBundle)
	h("GET "+app+"/bundles", s.adminListBundles)
	h("GET "+app+"/bundles/{name}", s.adminGetBundle)
	h("PUT "+app+"/bundles/{name}", s.adminUploadBundle)
	h("GET "+app+"/bundles/{name}/stats", s.adminBundleStats)
	h("POST "+app+"/channels", s.adminCreateChannel)
	h("GET "+app+"/channels", s.adminListChannels)
	h("GET "+ch, s.adminGetChannel)
	h("PATCH "+ch, s.adminPatchChannel)
	h("POST "+ch+"/rollout", s.adminStartRollout)
	h("PATCH "+ch+"/rollout", s.adminChangeRollout)
	h("GET "+ch+"/rollout", s.adminGetRollout)
	h("POST "+ch+"/rollout/pause", s.adminPauseRollout)
	h("POST "+ch+"/rollout/resume", s.adminResumeRollout)
	h("POST "+ch+"/rollout/promote", s.adminPromoteRollout)
	h("POST "+ch+"/rollback", s.adminRollback)
	h("PUT "+ch+"/guard", s.adminPutGuard)
	h("GET "+ch+"/guard", s.adminGetGuard)
	h("GET "+ch+"/history", s.adminHistory)
	h("PUT "+app+"/devices/{device}/channel", s.adminSetOverride)
	h("DELETE "+app+"/devices/{device}/channel", s.adminDeleteOverride)
	h("GET "+app+"/devices/{device}", s.adminGetDevice)
	h("GET /admin/faults", s.adminGetFaults)
	h("PUT /admin/faults", s.adminPutFaults)
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, codeNotFound, "no admin route for "+r.Method+" "+r.URL.Path)
	})
	return s.requireToken(mux)
}

// requireToken lets a request through only with the bearer token,
// compared in constant time.
func (s *Server) requireToken(next http.Handler) http.Handler {
	want := []byte(s.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="otasim admin"`)
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// decodeStrict decodes an admin JSON body: one value, no unknown fields.
func decodeStrict(r *http.Request, v any) error {
	if r.ContentLength > MaxAdminBody {
		return &apiError{http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, "body over 1 MiB"}
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, MaxAdminBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, "body over 1 MiB"}
		}
		return &apiError{http.StatusBadRequest, protocol.CodeInvalidJSONBody, "cannot read body"}
	}
	return decodeStrictBytes(buf.Bytes(), v)
}

func decodeStrictBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := jsonProblem(err)
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			msg = strings.TrimPrefix(err.Error(), "json: ")
		}
		return &apiError{http.StatusBadRequest, protocol.CodeInvalidJSONBody, msg}
	}
	if dec.More() {
		return &apiError{http.StatusBadRequest, protocol.CodeInvalidJSONBody, "body holds more than one JSON value"}
	}
	return nil
}

// decodeOptional is decodeStrict for calls whose body may be empty.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, MaxAdminBody)); err != nil {
		return &apiError{http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, "body over 1 MiB"}
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return nil
	}
	return decodeStrictBytes(buf.Bytes(), v)
}
