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
// connection the server had closed by that).
package memnet

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"

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
	return conn{c}, nil
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
	return conn{c}, nil
}

// conn translates the pipes' errors into those of a real connection.
type conn struct{ net.Conn }

func (c conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return n, translate("read", err)
}

func (c conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	return n, translate("write", err)
}

func translate(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fasthttputil.ErrTimeout):
		return &net.OpError{Op: op, Net: "inmemory", Err: os.ErrDeadlineExceeded}
	case errors.Is(err, fasthttputil.ErrConnectionClosed):
		return &net.OpError{Op: op, Net: "inmemory", Err: syscall.EPIPE}
	}
	return err
}
