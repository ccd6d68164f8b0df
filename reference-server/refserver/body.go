package refserver

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/otasim/otasim/protocol"
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

// read reads a request body of at most limit bytes into a pooled buffer,
// with the replies and the connection handling of readBody. The caller
// must pass the buffer to put once nothing refers to its bytes any more
// (decoded strings are copies).
func (bp *bodyPool) read(w http.ResponseWriter, r *http.Request, limit int64) (*[]byte, bool) {
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge,
			"body of "+strconv.FormatInt(r.ContentLength, 10)+" bytes is over the limit of "+strconv.FormatInt(limit, 10))
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
			break
		}
		if err != nil {
			*bp0 = buf
			bp.put(bp0)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge,
					"body is over the limit of "+strconv.FormatInt(limit, 10)+" bytes")
				return nil, false
			}
			writeError(w, http.StatusBadRequest, protocol.CodeInvalidJSONBody, "cannot read body: "+err.Error())
			return nil, false
		}
	}
	*bp0 = buf
	return bp0, true
}

// put returns a buffer from read to the pool.
func (bp *bodyPool) put(b *[]byte) {
	if cap(*b) > maxPooledBody {
		return
	}
	*b = (*b)[:0]
	bp.p.Put(b)
}
