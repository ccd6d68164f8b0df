// Package memnet is an in-memory network for a server in the same
// process: a listener whose connections are pairs of in-memory pipes
// (fasthttputil's), so that a client and a server exchange the same HTTP
// bytes as over loopback TCP without the kernel's system calls.
//
// Its connections fail as real ones do: a passed deadline is a net.Error
// whose Timeout is true (net/http's server tells its own abort of a
// background read apart from a broken connection by that; the pipes'
// own timeout error is not a net.Error, and net/http then cancelled the
// context of every later request on the connection), and a write to a
// closed connection is EPIPE (clients retry a request on a kept-alive
// connection the server had closed by that). They pass x/net's nettest
// conformance suite, deadlines included (deadline.go).
package memnet

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp/fasthttputil"
)

// Listener is an in-memory listener; Dial connects to it.
type Listener struct {
	ln *fasthttputil.InmemoryListener
}

// Listen returns a new listener.
func Listen() *Listener { return &Listener{ln: fasthttputil.NewInmemoryListener()} }

// Accept waits for the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.ln.Accept()
	if err != nil {
		return nil, err
	}
	return newConn(c), nil
}

// Close closes the listener; connections already made stay open.
func (l *Listener) Close() error { return l.ln.Close() }

// Addr is the listener's address (network "inmemory").
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Dial connects to the listener whatever the address, once it has
// accepted the connection; it has the signature of net.Dialer's
// DialContext.
func (l *Listener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := l.ln.Dial()
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "inmemory", Err: err}
	}
	return newConn(c), nil
}

// conn is one end of a pipe with deadlines of its own, which translates
// the pipe's errors into those of a real connection. Its reads take turns:
// the pipe's read is not safe for concurrent use (two at once panicked
// it), and a net.Conn must be.
type conn struct {
	net.Conn
	rd, wd deadline
	readMu sync.Mutex
}

func newConn(pipe net.Conn) *conn {
	c := &conn{Conn: pipe}
	c.rd.pipe, c.wd.pipe = pipe.SetReadDeadline, pipe.SetWriteDeadline
	return c
}

func (c *conn) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if c.rd.passed.Load() {
		return 0, timeout("read")
	}
	n, err := c.Conn.Read(p)
	return n, translate("read", err)
}

func (c *conn) Write(p []byte) (int, error) {
	if c.wd.passed.Load() {
		return 0, timeout("write")
	}
	n, err := c.Conn.Write(p)
	return n, translate("write", err)
}

func (c *conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *conn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

// Close closes the connection and stops its timers, which would keep it
// in memory until they fire.
func (c *conn) Close() error {
	c.rd.stop()
	c.wd.stop()
	return c.Conn.Close()
}

func timeout(op string) error {
	return &net.OpError{Op: op, Net: "inmemory", Err: os.ErrDeadlineExceeded}
}

func translate(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fasthttputil.ErrTimeout):
		return timeout(op)
	case errors.Is(err, fasthttputil.ErrConnectionClosed):
		return &net.OpError{Op: op, Net: "inmemory", Err: syscall.EPIPE}
	}
	return err
}
