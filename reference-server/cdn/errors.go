package cdn

import (
	"io"
	"net/http"

	"github.com/otasim/otasim/reference-server/faults"
)

// Error codes of replies http.ServeContent words itself.
const (
	CodeRangeNotSatisfiable = "range_not_satisfiable"
	CodePreconditionFailed  = "precondition_failed"
)

// jsonErrors turns the error replies http.ServeContent writes itself (a
// 416 for a range outside the file, in plain text; a 412 for a failed
// precondition) into the protocol's JSON error, and passes everything else
// through, sendfile included.
type jsonErrors struct {
	http.ResponseWriter
	replaced bool // the reply is ours; what the handler writes is dropped
}

func (j *jsonErrors) WriteHeader(code int) {
	if code < 400 || j.replaced || j.Header().Get("Content-Type") == "application/json" {
		j.ResponseWriter.WriteHeader(code)
		return
	}
	j.replaced = true
	h := j.Header()
	h.Del("X-Content-Type-Options")
	h.Del("Cache-Control")
	h.Del("ETag")
	switch code {
	case http.StatusRequestedRangeNotSatisfiable:
		// Content-Range (bytes */size) stays: it tells the client the size.
		faults.WriteError(j.ResponseWriter, code, CodeRangeNotSatisfiable, "the requested range is outside the bundle")
	case http.StatusPreconditionFailed:
		faults.WriteError(j.ResponseWriter, code, CodePreconditionFailed, "a precondition of the request failed")
	default:
		faults.WriteError(j.ResponseWriter, code, CodeInvalidPath, http.StatusText(code))
	}
}

func (j *jsonErrors) Write(p []byte) (int, error) {
	if j.replaced {
		return len(p), nil
	}
	return j.ResponseWriter.Write(p)
}

// ReadFrom keeps sendfile (http.ServeContent copies the file through it).
func (j *jsonErrors) ReadFrom(r io.Reader) (int64, error) {
	if j.replaced {
		return io.Copy(io.Discard, r)
	}
	if rf, ok := j.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{j.ResponseWriter}, r)
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// the reset fault's hijack).
func (j *jsonErrors) Unwrap() http.ResponseWriter { return j.ResponseWriter }
