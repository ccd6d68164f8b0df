package refserver

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/internal/httpjson"
)

// Sizes of the pooled body buffers: most device bodies are an info object
// of a few hundred bytes or a stats batch of a few KiB; a buffer grown past
// maxPooledBody by an unusual body is dropped rather than kept.
const (
	pooledBodySize = 4 << 10
	maxPooledBody  = 256 << 10
)

// bodyPool recycles the request body buffers of the device endpoints, so
// that reading a body allocates nothing in the steady state.
type bodyPool struct{ p sync.Pool }

func newBodyPool() *bodyPool {
	bp := &bodyPool{}
	bp.p.New = func() any {
		b := make([]byte, 0, pooledBodySize)
		return &b
	}
	return bp
}

// read reads a request body of at most limit bytes into a pooled buffer.
// On failure it writes the reply itself: 413 body_too_large (the
// reference server's own limit; the backend sets none), or the backend's
// invalid_json_parse_body for a body that cannot be read. The caller must
// pass the buffer to put once nothing refers to its bytes any more
// (decoded strings are copies).
func (bp *bodyPool) read(w http.ResponseWriter, r *http.Request, limit int64) (*[]byte, bool) {
	if r.ContentLength > limit {
		tooLarge(w, "body of "+strconv.FormatInt(r.ContentLength, 10)+" bytes is over the limit of "+strconv.FormatInt(limit, 10))
		return nil, false
	}
	bp0 := bp.p.Get().(*[]byte)
	buf := (*bp0)[:0]
	if n := int(r.ContentLength) + 1; r.ContentLength > 0 && cap(buf) < n {
		// One more byte than announced, so that the read that meets EOF
		// does not grow the buffer.
		buf = make([]byte, 0, n)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			// Closed once read: net/http then does not copy the rest of
			// a body it has already seen the end of to io.Discard after
			// the handler (0.5% of a fleet run's CPU).
			_ = r.Body.Close()
			break
		}
		if err != nil {
			*bp0 = buf
			bp.put(bp0)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				tooLarge(w, "body is over the limit of "+strconv.FormatInt(limit, 10)+" bytes")
				return nil, false
			}
			httpjson.Raw(w, http.StatusBadRequest, rejectionJSON(invalidJSON()))
			return nil, false
		}
	}
	*bp0 = buf
	return bp0, true
}

func tooLarge(w http.ResponseWriter, msg string) {
	httpjson.Raw(w, http.StatusRequestEntityTooLarge, plainError(protocol.CodeBodyTooLarge, msg))
}

// invalidJSON is the backend's reply to a body JSON.parse refuses
// (utils/hono.ts:318-330): its moreInfo holds the SyntaxError, which
// JSON.stringify writes as {}.
func invalidJSON() *rejection {
	return &rejection{status: http.StatusBadRequest, code: protocol.CodeInvalidJSONParse, message: "Invalid JSON body",
		moreInfo: map[string]struct{}{"e": {}}}
}

// get is an empty buffer from the pool, for a reply.
func (bp *bodyPool) get() *[]byte { return bp.p.Get().(*[]byte) }

// put returns a buffer from read or get to the pool.
func (bp *bodyPool) put(b *[]byte) {
	if cap(*b) > maxPooledBody {
		return
	}
	*b = (*b)[:0]
	bp.p.Put(b)
}

// statsScratch is the memory of one /stats request: its decoded events (a
// wireBody is over half a KiB), the events it stores with their info
// objects, a batch's results. It is pooled (scratchPool) and reused once
// the request is answered, so a batch allocates no slice in the steady
// state; the stored events' and the results' slices had been a tenth of
// the bytes a 1M run allocated. Record returns only once the writer is
// done with the events.
type statsScratch struct {
	evs     []wireBody
	rec     recorder
	results []protocol.StatsResult
	// refused is the moreInfo of the request's latest refusal.
	refused map[string]string
}

// moreInfo is a refused event's details. A batch's events are mostly one
// device's about one version, so its refusals share one map, which
// nothing changes once made.
func (sc *statsScratch) moreInfo(appID, version string) map[string]string {
	if m := sc.refused; m != nil && m["app_id"] == appID && m["version_name"] == version {
		return m
	}
	sc.refused = map[string]string{"app_id": appID, "version_name": version}
	return sc.refused
}

type scratchPool struct{ p sync.Pool }

func (sp *scratchPool) get() *statsScratch {
	if sc, ok := sp.p.Get().(*statsScratch); ok {
		return sc
	}
	return &statsScratch{}
}

// put returns a scratch from get, its slices emptied and cleared so that
// the pool holds no request's strings; a slice grown past a plugin's
// batch (protocol.MaxStatsBatch) is let go.
func (sp *scratchPool) put(sc *statsScratch) {
	sc.evs = recycle(sc.evs)
	sc.rec.events, sc.rec.infos = recycle(sc.rec.events), recycle(sc.rec.infos)
	sc.results = recycle(sc.results)
	sc.refused = nil
	sp.p.Put(sc)
}

func recycle[T any](s []T) []T {
	if cap(s) > maxPooledSlice {
		return nil
	}
	clear(s)
	return s[:0]
}

const maxPooledSlice = 64
