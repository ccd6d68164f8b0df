// Package cdn serves bundle bytes the way a CDN does: the file's bytes with
// Range, ETag/If-None-Match, long cache lifetimes and keep-alive, through
// sendfile when no fault is set, and the CDN fault knobs (latency,
// bandwidth cap, errors, connection resets, truncated and corrupted bodies)
// when some are.
package cdn

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/faults"
)

// Pattern is the route of the bundle handler; file is "<version>.zip".
const Pattern = "/cdn/{app_id}/{file}"

// FilePattern is the route of the manifest file handler (NewFiles): object
// is the SHA-256 (hex) of the bytes served, which are stored once however
// many bundles hold them.
const FilePattern = "/cdn/{app_id}/files/{object}"

// Bundle is a bundle file as the lookup knows it.
type Bundle struct {
	Path   string // the file on disk
	Size   int64
	SHA256 string // hex; becomes the ETag
}

// Lookup finds the bundle of an app by version; the names it receives have
// been checked (see the package's path rules).
type Lookup func(appID, version string) (Bundle, bool)

// Error codes of the CDN's JSON errors beside those of the protocol.
const (
	CodeInvalidPath      = "invalid_path"
	CodeMethodNotAllowed = "method_not_allowed"
)

// Clock is the time source of the fault path: latency and bandwidth pacing
// sleep through it. Tests pass one that records the waits.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// Options tune a Handler; the zero value is what New uses.
type Options struct {
	// Rand decides which downloads a fault hits; nil is a randomly seeded
	// source.
	Rand *faults.Rand
	// Clock is the real clock when nil.
	Clock Clock
	// MinRate is the slowest download, in bytes per second, the handler
	// waits for: a download's write deadline is WriteBase plus its size at
	// that rate (so a slow 3G link completes a 5 MB bundle, and a client
	// that stops reading is dropped). 0: no deadline is set here.
	MinRate   int64
	WriteBase time.Duration
}

// Handler serves bundle files. It is safe for concurrent use.
type Handler struct {
	lookup Lookup
	sw     *faults.Switch
	log    *slog.Logger
	rnd    *faults.Rand
	clock  Clock
	// files: the handler serves manifest files by object (FilePattern).
	files bool
	// minRate and writeBase are Options' MinRate and WriteBase.
	minRate   int64
	writeBase time.Duration
}

// New returns a handler that finds files with lookup and reads the CDN
// knobs from sw on every request.
func New(lookup Lookup, sw *faults.Switch, log *slog.Logger) *Handler {
	return NewWithOptions(lookup, sw, log, Options{})
}

// NewWithOptions is New with a chosen source of randomness and clock.
func NewWithOptions(lookup Lookup, sw *faults.Switch, log *slog.Logger, opts Options) *Handler {
	if opts.Rand == nil {
		opts.Rand = faults.NewRandomRand()
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{lookup: lookup, sw: sw, log: log, rnd: opts.Rand, clock: opts.Clock, minRate: opts.MinRate, writeBase: opts.WriteBase}
}

// NewFiles returns a handler of manifest files (FilePattern): lookup gets
// the app id and the object, and the files get the same Range, ETag and
// fault behaviour as bundles.
func NewFiles(lookup Lookup, sw *faults.Switch, log *slog.Logger, opts Options) *Handler {
	h := NewWithOptions(lookup, sw, log, opts)
	h.files = true
	return h
}

// ServeHTTP answers GET and HEAD of Pattern (FilePattern for NewFiles).
func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	// Every error, the 416 of http.ServeContent included, in JSON.
	w := &jsonErrors{ResponseWriter: rw}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		faults.WriteError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "only GET and HEAD")
		return
	}
	var appID, version string
	var err error
	if h.files {
		appID, version, err = parseFilePath(r.PathValue("app_id"), r.PathValue("object"))
	} else {
		appID, version, err = parsePath(r.PathValue("app_id"), r.PathValue("file"))
	}
	if err != nil {
		faults.WriteError(w, http.StatusBadRequest, CodeInvalidPath, err.Error())
		return
	}
	b, ok := h.lookup(appID, version)
	if !ok {
		faults.WriteError(w, http.StatusNotFound, protocol.CodeNoBundle, "no bundle "+version+" for "+appID)
		return
	}
	f, err := os.Open(b.Path)
	if err != nil {
		h.fileError(w, appID, version, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		h.fileError(w, appID, version, err)
		return
	}
	if b.Size > 0 && fi.Size() != b.Size {
		// The file changed under the store: serve what is there, the
		// checksum will tell the device.
		h.log.Warn("cdn: bundle file size differs from the record", "app_id", appID, "version", version,
			"recorded", b.Size, "on_disk", fi.Size())
	}

	hdr := w.Header()
	hdr.Set("Content-Type", "application/zip")
	if h.files {
		hdr.Set("Content-Type", "application/octet-stream")
	}
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	if b.SHA256 != "" {
		hdr.Set("ETag", `"`+b.SHA256+`"`)
	}
	k := h.sw.Load().CDN
	h.setDeadline(rw, fi.Size(), k)
	if !k.Active() {
		// ServeContent copies the *os.File into the connection, which
		// net/http turns into sendfile.
		http.ServeContent(w, r, "", time.Time{}, f)
		return
	}
	h.serveFaulty(w, r, f, fi.Size(), k)
}

// setDeadline gives a download the time it takes at minRate, or at the
// CDN's bandwidth knob when that is slower, plus the latency knob.
func (h *Handler) setDeadline(w http.ResponseWriter, size int64, k faults.CDN) {
	if h.minRate <= 0 {
		return
	}
	rate := h.minRate
	if k.BandwidthBps > 0 && k.BandwidthBps < rate {
		rate = k.BandwidthBps
	}
	d := h.writeBase + time.Duration(float64(size)/float64(rate)*float64(time.Second)) +
		time.Duration(k.LatencyMs+k.JitterMs)*time.Millisecond
	// Not every writer has a connection (tests record replies): then there
	// is no deadline to set.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
}

// fileError answers when the lookup names a file that cannot be read.
func (h *Handler) fileError(w http.ResponseWriter, appID, version string, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		h.log.Warn("cdn: bundle file missing", "app_id", appID, "version", version, "err", err)
		faults.WriteError(w, http.StatusNotFound, protocol.CodeNoBundle, "no bundle "+version+" for "+appID)
		return
	}
	h.log.Error("cdn: open bundle", "app_id", appID, "version", version, "err", err)
	faults.WriteError(w, http.StatusInternalServerError, protocol.CodeServerError, "cannot read the bundle")
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time                                   { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) error { return faults.Sleep(ctx, d) }
