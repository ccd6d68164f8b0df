package cdn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/faults"
)

// resetPrefix bounds how much of the body a reset download sends first.
const resetPrefix = 64 << 10

// errTruncated stops the copy of a truncated body.
var errTruncated = errors.New("cdn: body truncated by fault")

// serveFaulty serves f under the CDN knobs k: latency, then an error, then
// the body through a writer that paces, truncates and corrupts it.
func (h *Handler) serveFaulty(w http.ResponseWriter, r *http.Request, f *os.File, size int64, k faults.CDN) {
	if err := h.clock.Sleep(r.Context(), h.rnd.Delay(k.LatencyMs, k.JitterMs)); err != nil {
		return // the client is gone
	}
	if h.rnd.Hit(k.ErrorRate) {
		if k.ErrorMode == faults.ErrorModeReset {
			h.reset(w, r, f, size)
			return
		}
		w.Header().Del("ETag")
		w.Header().Del("Cache-Control")
		faults.WriteError(w, http.StatusServiceUnavailable, protocol.CodeServerError, "CDN error (injected fault)")
		return
	}
	fw := &faultWriter{ResponseWriter: w, ctx: r.Context(), truncateAt: -1, corruptAt: -1}
	// Where a truncation or corruption strikes is drawn now as a share of
	// the body, because the body's length is known only once ServeContent
	// has read the Range header.
	if h.rnd.Hit(k.TruncateRate) {
		fw.truncateShare = float64(h.rnd.Int64N(1<<20)) / (1 << 20)
		fw.truncate = true
	}
	if h.rnd.Hit(k.CorruptRate) {
		fw.corruptShare = float64(h.rnd.Int64N(1<<20)) / (1 << 20)
		fw.corrupt = true
	}
	if k.BandwidthBps > 0 {
		fw.pacer = newPacer(h.clock, k.BandwidthBps)
	}
	http.ServeContent(fw, r, "", time.Time{}, f)
}

// reset sends the status line, the headers and part of the body, then
// closes the TCP connection with SO_LINGER 0 so that the client reads a
// connection reset instead of an orderly end.
func (h *Handler) reset(w http.ResponseWriter, r *http.Request, f *os.File, size int64) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): abort, which also breaks the download.
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	fmt.Fprintf(brw, "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: %d\r\nAccept-Ranges: bytes\r\n\r\n", size)
	if r.Method != http.MethodHead {
		buf := make([]byte, min(size/2, resetPrefix))
		n, _ := f.ReadAt(buf, 0)
		_, _ = brw.Write(buf[:n])
	}
	if err := brw.Flush(); err != nil {
		h.log.Debug("cdn: reset write", "err", err)
	}
	// A *net.TCPConn, or the server's connection wrapper around one.
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		_ = tc.SetLinger(0)
	}
}

// faultWriter wraps the ResponseWriter of a faulted download. It hides the
// ReaderFrom of the connection on purpose: every body byte passes through
// Write.
type faultWriter struct {
	http.ResponseWriter
	ctx   context.Context
	pacer *pacer

	truncate, corrupt           bool
	truncateShare, corruptShare float64

	wroteHeader           bool
	truncateAt, corruptAt int64 // body offsets; -1 is none
	written               int64
}

// WriteHeader fixes the body offsets of the faults from Content-Length.
func (fw *faultWriter) WriteHeader(code int) {
	if fw.wroteHeader {
		return
	}
	fw.wroteHeader = true
	if code == http.StatusOK || code == http.StatusPartialContent {
		if n, err := strconv.ParseInt(fw.Header().Get("Content-Length"), 10, 64); err == nil && n > 0 {
			if fw.truncate {
				fw.truncateAt = int64(fw.truncateShare * float64(n)) // < n
			}
			if fw.corrupt {
				fw.corruptAt = int64(fw.corruptShare * float64(n))
			}
		}
	}
	fw.ResponseWriter.WriteHeader(code)
}

// Write paces, corrupts and truncates the body; it never modifies p.
func (fw *faultWriter) Write(p []byte) (int, error) {
	if !fw.wroteHeader {
		fw.WriteHeader(http.StatusOK)
	}
	total := 0
	for len(p) > 0 {
		chunk := p
		if fw.pacer != nil && len(chunk) > fw.pacer.chunk {
			chunk = chunk[:fw.pacer.chunk]
		}
		truncated := false
		if fw.truncateAt >= 0 && fw.written+int64(len(chunk)) > fw.truncateAt {
			chunk = chunk[:fw.truncateAt-fw.written]
			truncated = true
		}
		if fw.pacer != nil {
			if err := fw.pacer.wait(fw.ctx, len(chunk)); err != nil {
				return total, err
			}
		}
		n, err := fw.writeCorrupt(chunk)
		total += n
		fw.written += int64(n)
		if err != nil {
			return total, err
		}
		if truncated {
			return total, errTruncated
		}
		p = p[len(chunk):]
	}
	return total, nil
}

// writeCorrupt writes b with the byte at corruptAt flipped, if b holds it.
func (fw *faultWriter) writeCorrupt(b []byte) (int, error) {
	i := fw.corruptAt - fw.written
	if i < 0 || i >= int64(len(b)) {
		return fw.ResponseWriter.Write(b)
	}
	n, err := fw.ResponseWriter.Write(b[:i])
	if err != nil {
		return n, err
	}
	if _, err := fw.ResponseWriter.Write([]byte{b[i] ^ 0xff}); err != nil {
		return n, err
	}
	m, err := fw.ResponseWriter.Write(b[i+1:])
	return n + 1 + m, err
}

// Unwrap lets http.ResponseController reach the connection.
func (fw *faultWriter) Unwrap() http.ResponseWriter { return fw.ResponseWriter }

// pacer caps a body's rate: after a first burst, byte n may leave no
// earlier than start + (n - burst) / rate.
type pacer struct {
	clock Clock
	bps   int64
	chunk int // the largest write, also the burst
	start time.Time
	sent  int64
}

func newPacer(clock Clock, bps int64) *pacer {
	// Chunks of a twentieth of a second keep the rate smooth without
	// waking up for every few bytes.
	chunk := int(min(max(bps/20, 512), 32<<10))
	return &pacer{clock: clock, bps: bps, chunk: chunk}
}

// wait blocks until n more bytes may leave.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p.start.IsZero() {
		p.start = p.clock.Now()
	}
	p.sent += int64(n)
	ahead := p.sent - int64(p.chunk)
	if ahead <= 0 {
		return nil
	}
	due := p.start.Add(time.Duration(float64(ahead) / float64(p.bps) * float64(time.Second)))
	if d := due.Sub(p.clock.Now()); d > 0 {
		return p.clock.Sleep(ctx, d)
	}
	return nil
}
