package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/valyala/fasthttp"

	"github.com/otasim/otasim/sim/results"
)

// hostConns is the API path to one plain-HTTP host: at most n keep-alive
// connections, each with its own buffers and its own fasthttp Request and
// Response, which write the request and parse the reply. A call waits for
// a free connection (as net/http's MaxConnsPerHost makes it wait), sends
// on it, reads the whole reply and gives the connection back. net/http's
// transport hands every request between three goroutines and allocates
// its headers: at a fleet's thousands of requests a second that was
// about a third of the client's CPU; here a call allocates nothing.
type hostConns struct {
	addr string // host:port to dial
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// sem holds a token per call using a connection (at most n); idle is
	// a stack of the free ones, the most recently used on top, so that a
	// light load keeps reusing one warm connection (a slot without a conn
	// dials on use).
	sem   chan struct{}
	idleM sync.Mutex
	idle  []*apiConn
	all   []*apiConn
	waits sync.Pool // *time.Timer of calls waiting for a connection

	// A context that ends aborts the calls made under it: each context
	// is watched once (context.AfterFunc per call cost an allocation
	// and a registration each), not per call.
	mu      sync.Mutex
	watched map[context.Context]bool
	last    atomic.Pointer[context.Context]
}

// apiConn is one connection and what a call on it uses.
type apiConn struct {
	br   *bufio.Reader
	bw   *bufio.Writer
	req  fasthttp.Request
	resp fasthttp.Response

	// c is the connection and ctx the context of the call on it, kept
	// under mu for an abort from another goroutine.
	mu  sync.Mutex
	c   net.Conn
	ctx context.Context
}

func newHostConns(addr string, n int, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *hostConns {
	h := &hostConns{addr: addr, dial: dial, sem: make(chan struct{}, n), watched: map[context.Context]bool{}}
	for range n {
		ac := &apiConn{}
		h.all = append(h.all, ac)
		h.idle = append(h.idle, ac)
	}
	h.waits.New = func() any {
		t := time.NewTimer(time.Hour)
		t.Stop()
		return t
	}
	return h
}

// watch makes ctx's end abort the calls made under it.
func (h *hostConns) watch(ctx context.Context) {
	if ctx.Done() == nil {
		return
	}
	if p := h.last.Load(); p != nil && *p == ctx {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last.Store(&ctx)
	if h.watched[ctx] {
		return
	}
	h.watched[ctx] = true
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		delete(h.watched, ctx)
		h.mu.Unlock()
		for _, ac := range h.all {
			ac.abort(ctx)
		}
	})
}

// abort ends the call on ac when it runs under ctx: a deadline in the
// past ends a read or write in progress.
func (ac *apiConn) abort(ctx context.Context) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if ac.c != nil && ac.ctx == ctx {
		_ = ac.c.SetDeadline(time.Unix(1, 0))
	}
}

// setConn sets the connection and the context of the call on it.
func (ac *apiConn) setConn(c net.Conn, ctx context.Context) {
	ac.mu.Lock()
	ac.c, ac.ctx = c, ctx
	ac.mu.Unlock()
}

// hostAddr is the host:port of an http:// URL.
func hostAddr(u *url.URL) string {
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return u.Host
}

// acquire takes a free connection, waiting until deadline or ctx.
func (h *hostConns) acquire(ctx context.Context, deadline time.Time) (*apiConn, error) {
	select {
	case h.sem <- struct{}{}:
		return h.pop(), nil
	default:
	}
	t := h.waits.Get().(*time.Timer)
	t.Reset(time.Until(deadline))
	defer func() {
		t.Stop()
		h.waits.Put(t)
	}()
	select {
	case h.sem <- struct{}{}:
		return h.pop(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("no free connection to %s: %w", h.addr, context.DeadlineExceeded)
	}
}

// pop takes the most recently released connection (a token is held).
func (h *hostConns) pop() *apiConn {
	h.idleM.Lock()
	defer h.idleM.Unlock()
	ac := h.idle[len(h.idle)-1]
	h.idle = h.idle[:len(h.idle)-1]
	return ac
}

// release gives a connection back; a nil conn is dialled by its next call.
func (h *hostConns) release(ac *apiConn) {
	h.idleM.Lock()
	h.idle = append(h.idle, ac)
	h.idleM.Unlock()
	<-h.sem
}

// closeConn drops the slot's connection.
func (ac *apiConn) closeConn() {
	if ac.c != nil {
		_ = ac.c.Close()
		ac.setConn(nil, nil)
	}
}

// roundTrip sends ac.req (set up by the caller) and reads the reply into
// ac.resp, by deadline; ctx ending closes the connection, which ends a
// read or write in progress. A connection kept alive that the server had
// closed meanwhile fails before any byte of the reply arrives (end of
// stream, reset or broken pipe): the request is then sent once more on a
// new connection, as net/http does; a timeout or a reply cut short is the
// server's failure.
func (h *hostConns) roundTrip(ctx context.Context, ac *apiConn, deadline time.Time, maxBody int) error {
	h.watch(ctx)
	for attempt := 0; ; attempt++ {
		reused := ac.c != nil
		if reused {
			ac.setConn(ac.c, ctx)
		} else {
			dctx, cancel := context.WithDeadline(ctx, deadline)
			c, err := h.dial(dctx, "tcp", h.addr)
			cancel()
			if err != nil {
				return err
			}
			c = &errConn{Conn: c}
			ac.setConn(c, ctx)
			if ac.br == nil {
				ac.br, ac.bw = bufio.NewReaderSize(c, 4<<10), bufio.NewWriterSize(c, 4<<10)
			} else {
				ac.br.Reset(c)
				ac.bw.Reset(c)
			}
		}
		// After the context joined the connection: a context that ended
		// before could not abort it.
		if err := ctx.Err(); err != nil {
			return err
		}
		err := h.exchange(ac, deadline, maxBody)
		if err == nil {
			if ac.resp.ConnectionClose() {
				ac.closeConn()
			}
			return nil
		}
		ac.closeConn()
		if ctx.Err() != nil {
			// The abort's past deadline shows as a timeout: the cause is
			// the context's end, not the server.
			return fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		if !reused || attempt > 0 || !closedByPeer(err) {
			return err
		}
	}
}

// exchange writes the request and reads the reply on ac's connection.
// Its error carries the connection's own (fasthttp reports a reset
// before the first byte as end of stream, a timeout as its own error):
// the outcome is classified from what the socket said.
func (h *hostConns) exchange(ac *apiConn, deadline time.Time, maxBody int) error {
	c := ac.c
	if ec, ok := c.(*errConn); ok {
		ec.err = nil
	}
	if err := c.SetDeadline(deadline); err != nil {
		return err
	}
	err := ac.req.Write(ac.bw)
	if err == nil {
		err = ac.bw.Flush()
	}
	if err == nil {
		err = ac.resp.ReadLimitBody(ac.br, maxBody)
	}
	if ec, ok := c.(*errConn); ok && err != nil && ec.err != nil && !errors.Is(err, ec.err) {
		err = fmt.Errorf("%w: %w", ec.err, err)
	}
	return err
}

// errConn keeps the first error of a connection's reads and writes.
type errConn struct {
	net.Conn
	err error
}

func (c *errConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

func (c *errConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// closedByPeer tells a connection the server closed (end of stream, reset,
// broken pipe) from a timeout or another failure.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// close closes every idle connection (one in use stays with its call).
func (h *hostConns) close() {
	h.idleM.Lock()
	defer h.idleM.Unlock()
	for _, ac := range h.idle {
		ac.closeConn()
	}
}

// fastHost is the plain-HTTP path to u's host, nil for another host or
// an https:// URL (which goes through net/http).
func (c *Client) fastHost(u string) *hostConns {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		return nil
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return c.fast[rest]
}

// doFast is do on the plain-HTTP path.
func (c *Client) doFast(ctx context.Context, h *hostConns, method, u string, body []byte, out any, ua string, timeout time.Duration) Result {
	res := Result{RetryAfter: -1}
	res.Sent = time.Now()
	deadline := res.Sent.Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ac, err := h.acquire(ctx, deadline)
	if err != nil {
		res.Done = time.Now()
		res.Outcome, res.Cause = TransportOutcome(err)
		res.Err = fmt.Errorf("%s %s: %w", method, u, err)
		return res
	}
	defer h.release(ac)
	req := &ac.req
	req.Reset()
	req.Header.SetMethod(method)
	req.SetRequestURI(u)
	// After SetRequestURI: parsing the URI starts with resetting it, flag
	// included (set before, it was lost and "//" or "%2F" in a path were
	// rewritten; TestFastSendsThePathAsGiven).
	req.URI().DisablePathNormalizing = true
	req.Header.SetUserAgent(ua)
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	err = h.roundTrip(ctx, ac, deadline, maxReply)
	res.Done = time.Now()
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		res.Outcome, res.Cause = results.OutcomeProtocolError, CauseTooLarge
		res.Err = fmt.Errorf("%s %s: %w: %w", method, u, ErrInvalidReply, errTooLarge)
		return res
	case err != nil:
		cause := err
		if ctx.Err() != nil {
			cause = ctx.Err() // the call was stopped, not timed out by the server
		}
		res.Outcome, res.Cause = TransportOutcome(cause)
		res.Err = fmt.Errorf("%s %s: %w", method, u, err)
		return res
	}
	res.Status = ac.resp.StatusCode()
	res.reply(method, u, ac.resp.Body(), string(ac.resp.Header.Peek("Retry-After")), out)
	return res
}

// decodeReply decodes a JSON reply with the v2 prototype of
// encoding/json (a third of the client's CPU went to encoding/json's
// reflection). Member names match as the plugin matches them, exactly:
// Android reads replies with org.json (A/CapgoUpdater.java:2244, :2268
// jsonResponse.getString("version")), iOS with JSONDecoder and Decodable
// structs (I/CapgoUpdater.swift:1141, InternalUtils.swift:258
// AppVersionDec), so a reply whose "Version" is not "version" carries no
// version for a device. Duplicate names (the last wins) and invalid UTF-8
// are accepted.
func decodeReply(b []byte, out any) error {
	if w, ok := out.(*statsWire); ok {
		return w.decode(b)
	}
	return jsonv2.Unmarshal(b, out, replyOptions)
}

// replyOptions are joined once: joining them per call cost an allocation.
var replyOptions = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
