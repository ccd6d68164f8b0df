package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/results"
)

// Wire is the fast path of plain-HTTP targets, over fasthttp: each worker
// owns one keep-alive connection (a fasthttp.HostClient of one connection)
// and one request object built once, whose body is the same bytes the
// protocol client sends (client.AppendInfo). net/http's transport hands
// every request between goroutines and allocates its headers; at tens of
// thousands of requests a second on one core that is most of the
// generator's time, and the figures would measure it.
type Wire struct {
	uri     string // the http:// URL
	addr    string // host:port to dial
	agent   string
	timeout time.Duration // bounds one request, connection included
	// Dial opens a worker's connection (default TCP), e.g. to an
	// in-process server's in-memory listener.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// maxReply bounds a reply's body; a check's reply is a few hundred bytes.
const maxReply = 1 << 20

// NewWire returns the fast path for POST requests to an http:// URL;
// timeout bounds one request (default the plugin's responseTimeout).
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
		timeout = client.DefaultResponseTimeout
	}
	return &Wire{uri: u.String(), addr: addr, timeout: timeout,
		agent: "otasim (capacitor-updater/" + protocol.PluginVersion + ")"}, nil
}

// wireConn is one worker's client, connection and request.
type wireConn struct {
	w     *Wire
	ctx   context.Context
	hc    *fasthttp.HostClient
	req   *fasthttp.Request
	resp  *fasthttp.Response
	body  []byte
	reply protocol.UpdateReply

	// The hard stop (ctx done) closes the current connection, ending a
	// read or write in progress, and refuses new ones: fasthttp takes no
	// context.
	mu      sync.Mutex
	c       net.Conn
	stopped bool
	stop    func() bool // unregisters the hard-stop hook
}

// conn returns a worker's client; requests made through it end when ctx
// does. Call close when done.
func (w *Wire) conn(ctx context.Context) *wireConn {
	wc := &wireConn{w: w, ctx: ctx, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse(),
		body: make([]byte, 0, 512)}
	wc.hc = &fasthttp.HostClient{
		Addr:                w.addr,
		MaxConns:            1,
		MaxResponseBodySize: maxReply,
		Dial:                wc.dial,
		RetryIfErr:          wc.retry,
		// The checks are sent as they are: no header or path rewriting.
		DisablePathNormalizing: true,
	}
	wc.req.SetRequestURI(w.uri)
	wc.req.Header.SetMethod(fasthttp.MethodPost)
	wc.req.Header.SetUserAgent(w.agent)
	wc.req.Header.SetContentType("application/json")
	wc.stop = context.AfterFunc(ctx, func() {
		wc.mu.Lock()
		defer wc.mu.Unlock()
		wc.stopped = true
		if wc.c != nil {
			// Closed rather than given a past deadline: fasthttp sets
			// its own deadlines before each write and read.
			_ = wc.c.Close()
		}
	})
	return wc
}

// dial opens the worker's connection (fasthttp has closed the previous
// one, if any: one connection at most).
func (wc *wireConn) dial(addr string) (net.Conn, error) {
	dial := wc.w.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: wc.w.timeout}).DialContext
	}
	c, err := dial(wc.ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	wc.mu.Lock()
	defer wc.mu.Unlock()
	if wc.stopped {
		_ = c.Close()
		return nil, wc.ctx.Err()
	}
	wc.c = c
	return c, nil
}

// retry says whether a failed request is sent once more. A kept-alive
// connection the server closed while it was idle fails before any byte of
// a reply (fasthttp reports io.EOF) or on the write: then the request is
// sent again on a new connection, as net/http does, rather than counted
// as the server's failure; its latency keeps the first attempt's start. A
// timeout, a reply cut short or a second failure is the server's.
func (wc *wireConn) retry(_ *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	return false, attempts < 2 && wc.ctx.Err() == nil && closedByPeer(err)
}

// closedByPeer tells a connection the server closed (end of stream, reset,
// broken pipe) from a timeout or another failure.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// updates sends info's check and reads the reply; a 2xx reply's body is
// decoded and its shape checked as the protocol client does.
func (wc *wireConn) updates(ctx context.Context, info *protocol.Info) client.Result {
	res := client.Result{RetryAfter: -1}
	wc.body = client.AppendInfo(wc.body[:0], info)
	wc.req.SetBodyRaw(wc.body)
	res.Sent = time.Now()
	if err := ctx.Err(); err != nil {
		res.Done, res.Err = res.Sent, err
		return res
	}
	err := wc.hc.DoDeadline(wc.req, wc.resp, res.Sent.Add(wc.w.timeout))
	res.Done = time.Now()
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		res.Outcome, res.Cause = wireOutcome(err)
		res.Err = fmt.Errorf("POST %s: %w", wc.w.addr, err)
		return res
	}
	res.Status = wc.resp.StatusCode()
	wc.reply = protocol.UpdateReply{}
	res.Outcome, res.Cause, _ = client.ReplyOutcome(res.Status, wc.resp.Body(), &wc.reply)
	return res
}

// wireOutcome classifies fasthttp's errors as the protocol client's.
func wireOutcome(err error) (results.Outcome, string) {
	switch {
	case errors.Is(err, fasthttp.ErrConnectionClosed):
		return results.OutcomeNetworkError, client.CauseClosed
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return results.OutcomeProtocolError, client.CauseTooLarge
	}
	return client.TransportOutcome(err)
}

// close closes the connection and gives the request objects back.
func (wc *wireConn) close() {
	wc.stop()
	wc.hc.CloseIdleConnections()
	wc.mu.Lock()
	if wc.c != nil {
		_ = wc.c.Close() // a connection left busy by the hard stop
		wc.c = nil
	}
	wc.mu.Unlock()
	fasthttp.ReleaseRequest(wc.req)
	fasthttp.ReleaseResponse(wc.resp)
	wc.req, wc.resp = nil, nil
}
