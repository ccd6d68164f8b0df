package refserver

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otasim/otasim/protocol"
)

// Refusing a connection over the cap: the reply is written, the sending
// half closed, and what the client already sent is read for at most
// refuseLinger (so that closing does not reset the connection before the
// client read the reply), by at most maxLingering goroutines at a time.
const (
	refuseLinger  = time.Second
	maxLingering  = 256
	refuseRetryS  = 1
	refusedReason = "connection_limit"
)

// connListener holds at most max connections open: a connection past the
// cap is answered at once with a 503 and Retry-After, and closed. Every
// connection it hands out rewrites net/http's own plain-text error replies
// (431, 400, 501, written before any handler runs) into the protocol's
// JSON error shape.
type connListener struct {
	net.Listener
	max       int64
	open      atomic.Int64
	lingering atomic.Int64
	m         *metrics
	// copyBufs are the buffers a file is copied through to a connection
	// without sendfile (the in-memory transport's): io.Copy allocated
	// one a download, a sixth of the bytes a fleet-scale run allocates.
	copyBufs sync.Pool
}

func newConnListener(ln net.Listener, max int, m *metrics) *connListener {
	return &connListener{Listener: ln, max: int64(max), m: m}
}

// Accept returns the next connection under the cap, refusing those over
// it.
func (l *connListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			l.m.shed("connection", refusedReason)
			l.refuse(c)
			continue
		}
		l.m.conns.Set(float64(l.open.Load()))
		return &conn{Conn: c, l: l}, nil
	}
}

// refusedReply is the whole reply to a connection over the cap.
var refusedReply = func() []byte {
	body := plainError(protocol.CodeServerError, "the server holds its maximum of connections; retry later", "reason", refusedReason)
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: " +
		strconv.Itoa(refuseRetryS) + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body))
}()

func (l *connListener) refuse(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(refuseLinger))
	_, _ = c.Write(refusedReply)
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok || l.lingering.Add(1) > maxLingering {
		if ok {
			l.lingering.Add(-1)
		}
		_ = c.Close()
		return
	}
	_ = cw.CloseWrite()
	go func() {
		defer l.lingering.Add(-1)
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
		_ = c.Close()
	}()
}

// conn is a connection under the cap.
type conn struct {
	net.Conn
	l    *connListener
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.m.conns.Set(float64(c.l.open.Add(-1))) })
	return err
}

// Write rewrites net/http's canned error replies; everything else passes.
func (c *conn) Write(p []byte) (int, error) {
	if q := jsonCanned(p); q != nil {
		if _, err := c.Conn.Write(q); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// ReadFrom keeps sendfile: net/http copies a file into the connection
// through it.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	buf, _ := c.l.copyBufs.Get().(*[]byte)
	if buf == nil {
		b := make([]byte, 32<<10)
		buf = &b
	}
	defer c.l.copyBufs.Put(buf)
	return io.CopyBuffer(struct{ io.Writer }{c.Conn}, r, *buf)
}

// CloseWrite keeps net/http's graceful close (a FIN, then a short wait)
// after a reply to a request whose body it did not read.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// SetLinger lets the CDN's reset fault reset the connection.
func (c *conn) SetLinger(sec int) error {
	if l, ok := c.Conn.(interface{ SetLinger(int) error }); ok {
		return l.SetLinger(sec)
	}
	return nil
}

// cannedHeaders ends the headers of every error net/http writes by itself
// (net/http/server.go, conn.serve: errorHeaders); a handler's reply never
// has them in this order, as net/http sorts the headers it writes.
var cannedHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")

// jsonCanned returns the JSON form of a canned error reply, or nil when p
// is not one.
func jsonCanned(p []byte) []byte {
	if len(p) < 13 || !bytes.HasPrefix(p, []byte("HTTP/1.1 ")) || (p[9] != '4' && p[9] != '5') {
		return nil
	}
	i := bytes.Index(p, cannedHeaders)
	if i < 0 {
		return nil
	}
	code, err := strconv.Atoi(string(p[9:12]))
	if err != nil {
		return nil
	}
	errCode := "bad_request"
	switch code {
	case http.StatusRequestHeaderFieldsTooLarge:
		errCode = "headers_too_large"
	case http.StatusNotImplemented:
		errCode = "not_implemented"
	}
	body := plainError(errCode, string(p[i+len(cannedHeaders):]))
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) +
		"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	b.Write(body)
	return b.Bytes()
}
