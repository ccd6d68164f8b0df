package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
)

// Wire is the fast path of plain-HTTP targets: each worker owns one
// keep-alive connection and writes the request (the same bytes the
// protocol client sends: client.AppendInfo) in one write, then reads the
// reply with a small HTTP/1.1 parser that allocates nothing. net/http's
// transport hands every request between goroutines and allocates its
// headers; at tens of thousands of requests a second on one core that is
// most of the generator's time, and the figures would measure it.
type Wire struct {
	addr   string // host:port to dial
	prefix []byte // request line and headers up to Content-Length
	// Timeout bounds one request, connection included.
	timeout time.Duration
}

// NewWire returns the fast path for POST requests to an http:// URL.
func NewWire(rawURL string, timeout time.Duration) (*Wire, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("load: %q is not an http:// URL (https goes through the protocol client)", rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	p := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUser-Agent: otasim (capacitor-updater/" + protocol.PluginVersion + ")" +
		"\r\nContent-Type: application/json\r\nContent-Length: "
	return &Wire{addr: addr, prefix: []byte(p), timeout: timeout}, nil
}

// wireConn is one worker's connection.
type wireConn struct {
	w    *Wire
	c    net.Conn
	br   *bufio.Reader
	req  []byte
	body []byte
	stop func() bool // unregisters the hard-stop hook of the connection
}

func (w *Wire) conn() *wireConn {
	return &wireConn{w: w, req: make([]byte, 0, 1024), body: make([]byte, 0, 512)}
}

// errStatusLine and friends describe replies that are not HTTP/1.x.
var (
	errStatusLine = errors.New("malformed status line")
	errHeader     = errors.New("malformed header")
	errChunk      = errors.New("malformed chunk")
	errTooLarge   = errors.New("reply over 1 MiB")
)

const maxReply = 1 << 20

// updates sends info's check and reads the reply; the connection is
// dialled on first use and again after an error.
func (wc *wireConn) updates(ctx context.Context, info *protocol.Info) client.Result {
	res := client.Result{RetryAfter: -1}
	wc.body = client.AppendInfo(wc.body[:0], info)
	wc.req = append(wc.req[:0], wc.w.prefix...)
	wc.req = strconv.AppendInt(wc.req, int64(len(wc.body)), 10)
	wc.req = append(wc.req, "\r\n\r\n"...)
	wc.req = append(wc.req, wc.body...)
	res.Sent = time.Now()
	if err := ctx.Err(); err != nil {
		res.Done, res.Err = res.Sent, err
		return res
	}
	status, keep, err := wc.try(ctx, &res)
	res.Done = time.Now()
	res.Status = status
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		res.Err = fmt.Errorf("POST %s: %w", wc.w.addr, err)
	}
	if err != nil || !keep {
		wc.close()
	}
	return res
}

// try sends the request on the worker's connection, dialling when there
// is none. A kept-alive connection the server closed while it was idle
// fails before any byte of a reply: then the request is sent once more on
// a new connection, as net/http does, rather than counted as the server's
// failure. Its latency keeps the first attempt's start.
func (wc *wireConn) try(ctx context.Context, res *client.Result) (status int, keep bool, err error) {
	for attempt := 0; ; attempt++ {
		fresh := wc.c == nil
		if fresh {
			if err := wc.dial(ctx); err != nil {
				return 0, false, err
			}
		}
		_ = wc.c.SetDeadline(res.Sent.Add(wc.w.timeout))
		status, keep, replied, err := wc.roundTrip()
		if err == nil || replied || fresh || attempt > 0 || ctx.Err() != nil || !closedByPeer(err) {
			return status, keep, err
		}
		wc.close()
	}
}

// closedByPeer tells a connection the server closed (end of stream, reset,
// broken pipe) from a timeout or another failure.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (wc *wireConn) dial(ctx context.Context) error {
	c, err := (&net.Dialer{Timeout: wc.w.timeout}).DialContext(ctx, "tcp", wc.w.addr)
	if err != nil {
		return err
	}
	wc.c = c
	if wc.br == nil {
		wc.br = bufio.NewReaderSize(c, 4096)
	} else {
		wc.br.Reset(c)
	}
	// The hard stop unblocks a read or write in progress.
	wc.stop = context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	return nil
}

// roundTrip writes the request and reads the reply; replied is false when
// not one byte of a reply came.
func (wc *wireConn) roundTrip() (status int, keep, replied bool, err error) {
	if _, err := wc.c.Write(wc.req); err != nil {
		return 0, false, false, err
	}
	if _, err := wc.br.Peek(1); err != nil {
		return 0, false, false, err
	}
	status, keep, err = readReply(wc.br)
	return status, keep, true, err
}

func (wc *wireConn) close() {
	if wc.c != nil {
		wc.stop()
		_ = wc.c.Close()
		wc.c = nil
	}
}

// readReply reads one HTTP/1.x reply to a POST and discards its body. It
// reports the status and whether the connection may carry another request.
func readReply(br *bufio.Reader) (status int, keep bool, err error) {
	line, err := readLine(br)
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, errStatusLine
	}
	status, ok := atoi3(line[9:12])
	if !ok || (len(line) > 12 && line[12] != ' ') {
		return 0, false, errStatusLine
	}
	keep = line[7] == '1' // HTTP/1.1 keeps the connection unless told otherwise
	length, chunked := int64(-1), false
	for range 100 {
		h, err := readLine(br)
		if err != nil {
			return status, false, err
		}
		if len(h) == 0 {
			switch {
			case chunked:
				err = discardChunked(br)
			case length >= 0:
				_, err = br.Discard(int(length))
			case status == 204 || status == 304 || status < 200:
			default:
				return status, false, nil // body until close: nothing to keep
			}
			return status, keep && err == nil, err
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return status, false, errHeader
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := parseInt(value, 10)
			if !ok {
				return status, false, errHeader
			}
			if n > maxReply {
				return status, false, errTooLarge
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
			if !chunked {
				return status, false, errHeader
			}
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(value, []byte("keep-alive")) {
				keep = true
			}
		}
	}
	return status, false, errHeader // over 100 header lines
}

// readLine returns a line without its CRLF; the slice is valid until the
// next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errHeader
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func discardChunked(br *bufio.Reader) error {
	var total int64
	for range 1 << 16 {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		n, ok := parseInt(bytes.TrimSpace(line), 16)
		if !ok {
			return errChunk
		}
		if total += n; total > maxReply {
			return errTooLarge
		}
		if n == 0 {
			for range 100 { // trailers, up to the empty line
				t, err := readLine(br)
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
			return errChunk
		}
		if _, err := br.Discard(int(n)); err != nil {
			return err
		}
		if t, err := readLine(br); err != nil || len(t) != 0 {
			return errChunk
		}
	}
	return errChunk
}

// parseInt parses a non-negative number of at most 15 digits in base 10
// or 16 (bigger is not a reply this parser accepts anyway).
func parseInt(b []byte, base int64) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d int64
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = int64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = int64(c-'A') + 10
		default:
			return 0, false
		}
		n = n*base + d
	}
	return n, true
}

func atoi3(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
