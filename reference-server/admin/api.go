// Package admin is the operator's API of the reference server, under
// /admin/ with a bearer token: apps, bundles, channels, rollouts, the
// auto-pause guard, per-device channel overrides, counts, history and the
// fault knobs (docs/admin-api.md). It changes the state the device
// endpoints read (package live) and nothing else.
package admin

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/bundlecheck"
	"github.com/otasim/otasim/reference-server/faults"
	"github.com/otasim/otasim/reference-server/internal/httpjson"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/store"
)

// MaxBody is the limit of a JSON body; an uploaded bundle has its own
// (Config.Bundles).
const MaxBody = 1 << 20

// Error codes of the admin API beside the protocol's.
const (
	codeUnauthorized   = "unauthorized"
	codeNotFound       = "not_found"
	codeConflict       = "conflict"
	codeInvalidRequest = "invalid_request"
)

// Config configures an API. State, Faults and Token are required.
type Config struct {
	State  *live.State
	Faults *faults.Switch
	// Token is the bearer token every call must carry.
	Token  string
	Logger *slog.Logger
	// Bundles bounds uploaded bundles; the zero value is
	// bundlecheck.DefaultLimits.
	Bundles bundlecheck.Limits
	// MinUploadRate (bytes/s) is the slowest upload the API waits for: an
	// upload's read deadline is UploadBase plus its size (Content-Length,
	// else Bundles.MaxUpload) at that rate, set once the token is checked.
	// 0: the server's deadline stays.
	MinUploadRate int64
	UploadBase    time.Duration
	// CallTimeout is the time an authenticated call may take to answer
	// (generating a large bundle takes a while), set once the token is
	// checked; 0: the server's write deadline stays.
	CallTimeout time.Duration
	// Auth hears of failed and refused logins (optional).
	Auth AuthObserver
}

// API is the admin API. Create it with New.
type API struct {
	st      *live.State
	faults  *faults.Switch
	token   []byte
	log     *slog.Logger
	bundles bundlecheck.Limits
	// uploadRate and uploadBase are Config's MinUploadRate and UploadBase.
	uploadRate int64
	uploadBase time.Duration
	callTime   time.Duration
	throttle   throttle
}

// New returns the API of a state.
func New(cfg Config) (*API, error) {
	var errs []error
	if cfg.State == nil {
		errs = append(errs, errors.New("admin: State is required"))
	}
	if cfg.Faults == nil {
		errs = append(errs, errors.New("admin: Faults is required"))
	}
	if cfg.Token == "" {
		errs = append(errs, errors.New("admin: Token is required"))
	}
	if cfg.Bundles == (bundlecheck.Limits{}) {
		cfg.Bundles = bundlecheck.DefaultLimits()
	} else if err := cfg.Bundles.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	a := &API{st: cfg.State, faults: cfg.Faults, token: []byte(cfg.Token), log: cfg.Logger, bundles: cfg.Bundles,
		uploadRate: cfg.MinUploadRate, uploadBase: cfg.UploadBase, callTime: cfg.CallTimeout}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.throttle = throttle{now: a.st.Now, obs: cfg.Auth}
	if a.throttle.obs == nil {
		a.throttle.obs = noAuthObserver{}
	}
	return a, nil
}

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

func writeError(w http.ResponseWriter, status int, code, msg string) {
	httpjson.Write(w, status, protocol.NewError(code, msg), nil)
}

// replyErr writes the reply of an error: its own for an apiError, 404 for
// a live.NotFoundError, 409 for store.ErrExists, else a 500 that is logged.
func (a *API) replyErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var nf *live.NotFoundError
	switch {
	case errors.As(err, &ae):
		writeError(w, ae.status, ae.code, ae.msg)
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, codeNotFound, nf.Error())
	case errors.Is(err, store.ErrExists), errors.Is(err, live.ErrTooManyOverrides):
		writeError(w, http.StatusConflict, codeConflict, err.Error())
	default:
		a.log.Error("admin: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, protocol.CodeServerError, "storage failed; the change was not applied")
	}
}

// handlerFunc handles an admin call: it returns the reply body and status,
// or an error.
type handlerFunc func(r *http.Request) (status int, reply any, err error)

// Handler returns the API's handler, mounted at /admin/.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f handlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, f) })
	}
	const app = "/admin/apps/{app}"
	const bundle = app + "/bundles/{name}"
	const ch = app + "/channels/{channel}"
	h("POST /admin/apps", a.createApp)
	h("GET /admin/apps", a.listApps)
	h("GET "+app, a.getApp)
	h("PATCH "+app, a.patchApp)
	h("POST "+app+"/bundles", a.createBundle)
	h("GET "+app+"/bundles", a.listBundles)
	h("GET "+bundle, a.getBundle)
	mux.HandleFunc("PUT "+bundle, func(w http.ResponseWriter, r *http.Request) {
		a.extendUpload(w, r)
		a.serve(w, r, a.uploadBundle)
	})
	h("PATCH "+bundle, a.patchBundle)
	h("DELETE "+bundle, a.deleteBundle)
	h("GET "+bundle+"/stats", a.bundleStats)
	h("PUT "+app+"/files/{object}", a.putFile)
	h("GET "+app+"/files/{object}", a.getFile)
	h("POST "+app+"/channels", a.createChannel)
	h("GET "+app+"/channels", a.listChannels)
	h("GET "+ch, a.getChannel)
	h("PATCH "+ch, a.patchChannel)
	h("POST "+ch+"/rollout", a.startRollout)
	h("PATCH "+ch+"/rollout", a.changeRollout)
	h("GET "+ch+"/rollout", a.getRollout)
	h("POST "+ch+"/rollout/pause", a.pauseRollout)
	h("POST "+ch+"/rollout/resume", a.resumeRollout)
	h("POST "+ch+"/rollout/promote", a.promoteRollout)
	h("POST "+ch+"/rollback", a.rollbackChannel)
	h("PUT "+ch+"/guard", a.putGuard)
	h("GET "+ch+"/guard", a.getGuard)
	h("GET "+ch+"/history", a.history)
	h("PUT "+app+"/devices/{device}/channel", a.setOverride)
	h("DELETE "+app+"/devices/{device}/channel", a.deleteOverride)
	h("GET "+app+"/devices/{device}", a.getDevice)
	h("GET /admin/faults", a.getFaults)
	h("PUT /admin/faults", a.putFaults)
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, codeNotFound, "no admin route for "+r.Method+" "+r.URL.Path)
	})
	return a.RequireToken(mux)
}

// serve answers a call with f's reply or error.
func (a *API) serve(w http.ResponseWriter, r *http.Request, f handlerFunc) {
	status, reply, err := f(r)
	if err != nil {
		a.replyErr(w, r, err)
		return
	}
	httpjson.Write(w, status, reply, protocol.NewError(protocol.CodeServerError, "cannot encode the reply"))
}

// extendUpload gives an authenticated upload the time its size takes at
// the slowest rate the server waits for.
func (a *API) extendUpload(w http.ResponseWriter, r *http.Request) {
	if a.uploadRate <= 0 {
		return
	}
	size := r.ContentLength
	if size <= 0 || size > a.bundles.MaxUpload {
		size = a.bundles.MaxUpload
	}
	d := a.uploadBase + time.Duration(float64(size)/float64(a.uploadRate)*float64(time.Second))
	// A writer without a connection (a test recorder) has no deadline.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}

type noAuthObserver struct{}

func (noAuthObserver) AuthFailed()  {}
func (noAuthObserver) AuthBlocked() {}

// RequireToken lets a request through only with the bearer token,
// compared in constant time, from an address not blocked for its failed
// logins.
func (a *API) RequireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := clientAddr(r)
		if blocked, until := a.throttle.blocked(addr); blocked {
			a.throttle.obs.AuthBlocked()
			tooManyFailures(w, a.st.Now(), until)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), a.token) != 1 {
			a.throttle.fail(addr)
			a.throttle.obs.AuthFailed()
			w.Header().Set("WWW-Authenticate", `Bearer realm="otasim admin"`)
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "missing or wrong bearer token")
			return
		}
		if a.callTime > 0 {
			// A writer without a connection (a test recorder) has no
			// deadline.
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(a.callTime))
		}
		next.ServeHTTP(w, r)
	})
}

// decodeStrict decodes an admin JSON body: one value, no unknown fields.
func decodeStrict(r *http.Request, v any) error { return decodeStrictLimit(r, v, MaxBody) }

// decodeStrictLimit is decodeStrict for a body of at most limit bytes.
func decodeStrictLimit(r *http.Request, v any, limit int64) error {
	tooLarge := fmt.Sprintf("body over %d MiB", limit>>20)
	if r.ContentLength > limit {
		return &apiError{http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, tooLarge}
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, tooLarge}
		}
		return &apiError{http.StatusBadRequest, protocol.CodeInvalidJSONBody, "cannot read body"}
	}
	return decodeStrictBytes(buf.Bytes(), v)
}

func decodeStrictBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apiError{http.StatusBadRequest, protocol.CodeInvalidJSONBody, jsonProblem(err)}
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
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, MaxBody)); err != nil {
		return &apiError{http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, "body over 1 MiB"}
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return nil
	}
	return decodeStrictBytes(buf.Bytes(), v)
}

// jsonProblem words a decoding error without echoing the body.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s must be %s, not %s", te.Field, te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "invalid JSON body"
}
