// Package client speaks the capacitor-updater protocol to a server, as the
// plugin does: POST /updates, /stats (JSON arrays), /channel_self, and
// bundle downloads hashed while the bytes arrive. Requests share one
// keep-alive transport; bodies are built into pooled buffers.
package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/results"
)

// Endpoints are the three URLs of the protocol; each may carry a query
// string or live on another host.
type Endpoints struct {
	Updates string
	Stats   string
	Channel string
}

// Validate reports every malformed URL at once.
func (e Endpoints) Validate() error {
	var errs []error
	for _, f := range []struct{ name, v string }{{"updates", e.Updates}, {"stats", e.Stats}, {"channel", e.Channel}} {
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s URL %q is not an http(s) URL", f.name, f.v))
		}
	}
	return errors.Join(errs...)
}

// Config configures a Client.
type Config struct {
	Endpoints Endpoints
	// Connections caps the keep-alive connections per host of the API
	// (devices share them); DownloadConnections those of bundle downloads,
	// which use their own pool so that a slow CDN never queues API calls
	// (default Connections).
	Connections         int
	DownloadConnections int
	// ResponseTimeout bounds an API call, and how long a download may go
	// without a byte: the plugin's responseTimeout (default
	// DefaultResponseTimeout). DownloadTimeout bounds a whole download.
	ResponseTimeout time.Duration
	DownloadTimeout time.Duration
	// PlatformTimeouts bound the API calls of the devices of a platform
	// (protocol.Info.Platform) in place of ResponseTimeout: the plugin's
	// Android code does not apply responseTimeout to them
	// (device.Platform.APITimeout).
	PlatformTimeouts map[string]time.Duration
	UserAgent        string
	// Dial opens every connection (default: TCP with a 5 s timeout), e.g.
	// to reach an in-process server over an in-memory listener.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// DefaultResponseTimeout is capacitor-updater's responseTimeout: 20 s
// (capacitor-updater v8.51.14, android/.../CapacitorUpdaterPlugin.java:884
// and ios/.../CapacitorUpdaterPlugin.swift:285, commit e235d092).
const DefaultResponseTimeout = 20 * time.Second

// Client sends the protocol's requests. It is safe for concurrent use.
type Client struct {
	cfg Config
	hc  *http.Client
	tr  *http.Transport
	dhc *http.Client
	dtr *http.Transport
	// fast holds the plain-HTTP path to each endpoint host, by host.
	fast map[string]*hostConns
	bufs sync.Pool // *[]byte request bodies
	read sync.Pool // *[]byte download buffers

	// verified holds bundles whose bytes matched their checksum, by
	// lower-case checksum: later downloads compare with them.
	verified verifiedBundles
}

// New returns a client.
func New(cfg Config) (*Client, error) {
	var errs []error
	if err := cfg.Endpoints.Validate(); err != nil {
		errs = append(errs, err)
	}
	if cfg.Connections <= 0 {
		errs = append(errs, fmt.Errorf("connections %d: want at least 1", cfg.Connections))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = DefaultResponseTimeout
	}
	if cfg.DownloadTimeout <= 0 {
		cfg.DownloadTimeout = 5 * time.Minute
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "otasim (capacitor-updater/" + protocol.PluginVersion + ")"
	}
	if cfg.DownloadConnections <= 0 {
		cfg.DownloadConnections = cfg.Connections
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	tr := newTransport(cfg.Connections, 4<<10, cfg.Dial)
	dtr := newTransport(cfg.DownloadConnections, 64<<10, cfg.Dial)
	c := &Client{cfg: cfg, tr: tr, hc: &http.Client{Transport: tr}, dtr: dtr, dhc: &http.Client{Transport: dtr}}
	c.fast = map[string]*hostConns{}
	for _, ep := range []string{cfg.Endpoints.Updates, cfg.Endpoints.Stats, cfg.Endpoints.Channel} {
		if u, err := url.Parse(ep); err == nil && u.Scheme == "http" && c.fast[u.Host] == nil {
			c.fast[u.Host] = newHostConns(hostAddr(u), cfg.Connections, cfg.Dial)
		}
	}
	c.bufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	c.read.New = func() any { b := make([]byte, 256<<10); return &b }
	return c, nil
}

func newTransport(conns, readBuf int, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // load tests go straight to the target
		DialContext:         dial,
		MaxConnsPerHost:     conns,
		MaxIdleConns:        conns * 4,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     16 << 10,
		ReadBufferSize:      readBuf,
	}
}

// Close closes idle connections.
func (c *Client) Close() {
	c.tr.CloseIdleConnections()
	c.dtr.CloseIdleConnections()
	for _, h := range c.fast {
		h.close()
	}
}

// Result is what every call reports besides its reply.
type Result struct {
	// Outcome classifies the call; Cause names a failure more finely
	// ("http_503", "connection_refused", "invalid_json"; empty on
	// success).
	Outcome results.Outcome
	Cause   string
	// Status is the HTTP status, 0 when no reply came (Err says why).
	Status int
	// RetryAfter is a 429's retry hint as the plugin reads it: the
	// Retry-After header in seconds (fractions allowed), else the body's
	// retryAfterSeconds; -1 when there is none.
	RetryAfter time.Duration
	// ResetAt is a 429 body's rateLimitResetAt (epoch ms, 0 when absent),
	// read when there is no RetryAfter.
	ResetAt int64
	// Sent and Done are the wall times the request left and the reply
	// (all of it) arrived.
	Sent, Done time.Time
	Err        error
}

func (c *Client) getBuf() *[]byte { return c.bufs.Get().(*[]byte) }
func (c *Client) putBuf(b *[]byte) {
	if cap(*b) <= 1<<20 {
		*b = (*b)[:0]
		c.bufs.Put(b)
	}
}

// do sends body to u for the device of info (its User-Agent and its
// platform's timeout; nil: the client's) and decodes a JSON reply into
// out: a 2xx reply must be the endpoint's JSON (else a protocol error); an
// error status's body is decoded when it is JSON, for the device to read
// its code.
func (c *Client) do(ctx context.Context, method, u string, body []byte, out any, info *protocol.Info) Result {
	ua, timeout := c.cfg.UserAgent, c.cfg.ResponseTimeout
	if info != nil {
		ua = UserAgent(info)
		if t, ok := c.cfg.PlatformTimeouts[info.Platform]; ok {
			timeout = t
		}
	}
	if h := c.fastHost(u); h != nil {
		return c.doFast(ctx, h, method, u, body, out, ua, timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := Result{RetryAfter: -1}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		res.Outcome, res.Cause = results.OutcomeNetworkError, CauseNetwork
		res.Err = fmt.Errorf("%s %s: %w", method, u, err)
		return res
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", ua)
	res.Sent = time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		res.Done = time.Now()
		res.Outcome, res.Cause = TransportOutcome(err)
		res.Err = fmt.Errorf("%s %s: %w", method, u, err)
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	bp := c.getBuf()
	defer c.putBuf(bp)
	b, err := readAll(resp.Body, *bp, maxReply)
	*bp = b
	res.Done = time.Now()
	switch {
	case errors.Is(err, errTooLarge):
		res.Outcome, res.Cause = results.OutcomeProtocolError, CauseTooLarge
		res.Err = fmt.Errorf("%s %s: %w: %w", method, u, ErrInvalidReply, err)
		return res
	case err != nil:
		res.Outcome, res.Cause = TransportOutcome(err)
		res.Err = fmt.Errorf("%s %s: read reply: %w", method, u, err)
		return res
	}
	res.reply(method, u, b, resp.Header.Get("Retry-After"), out)
	return res
}

// reply classifies a whole reply b (status already set) and decodes it
// into out; retryAfter is its Retry-After header.
func (res *Result) reply(method, u string, b []byte, retryAfter string, out any) {
	if res.Status == http.StatusTooManyRequests {
		res.RetryAfter, res.ResetAt = rateLimitHint(retryAfter, b)
	}
	var err error
	res.Outcome, res.Cause, err = ReplyOutcome(res.Status, b, out)
	if res.Outcome == results.OutcomeHTTPError && len(b) > 0 {
		// The device reads an error status's code when its body has one.
		err = decodeReply(b, out)
	}
	if err != nil {
		res.Err = fmt.Errorf("%s %s: %w: %w", method, u, ErrInvalidReply, err)
	}
}

// maxReply bounds an API reply's body.
const maxReply = 1 << 20

// ErrInvalidReply marks a reply whose body is not the protocol's JSON.
var ErrInvalidReply = errors.New("invalid reply")

// errTooLarge: a reply over maxReply bytes.
var errTooLarge = fmt.Errorf("reply over %d bytes", maxReply)

// readAll reads at most limit bytes into buf.
func readAll(r io.Reader, buf []byte, limit int) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= limit {
				return buf, errTooLarge
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// Updates posts the info object to /updates. The reply is decoded from a
// 200 and from error statuses that carry the protocol's error JSON.
func (c *Client) Updates(ctx context.Context, info *protocol.Info, reply *protocol.UpdateReply) Result {
	bp := c.getBuf()
	*bp = AppendInfo((*bp)[:0], info)
	res := c.do(ctx, http.MethodPost, c.cfg.Endpoints.Updates, *bp, reply, info)
	c.putBuf(bp)
	return res
}

// Stats posts a batch of events as a JSON array.
func (c *Client) Stats(ctx context.Context, evs []protocol.StatsEvent, reply *protocol.StatsReply) Result {
	bp := c.getBuf()
	*bp = AppendStats((*bp)[:0], evs)
	var info *protocol.Info
	if len(evs) > 0 {
		info = &evs[0].Info
	}
	res := c.do(ctx, http.MethodPost, c.cfg.Endpoints.Stats, *bp, &statsWire{StatsReply: reply}, info)
	c.putBuf(bp)
	return res
}

// StatsEvent posts one event as a single object, as the plugin posts some
// events outside its batch.
func (c *Client) StatsEvent(ctx context.Context, ev *protocol.StatsEvent, reply *protocol.StatsReply) Result {
	bp := c.getBuf()
	*bp = AppendStatsEvent((*bp)[:0], ev)
	res := c.do(ctx, http.MethodPost, c.cfg.Endpoints.Stats, *bp, &statsWire{StatsReply: reply}, &ev.Info)
	c.putBuf(bp)
	return res
}

// ChannelReply is the union of the /channel_self replies.
type ChannelReply struct {
	Status   string `json:"status"`
	AllowSet bool   `json:"allowSet"`
	Channel  string `json:"channel"`
	Error    string `json:"error"`
	Message  string `json:"message"`
	// Unset: a public channel was asked for; the device goes back to its
	// configured default.
	Unset bool `json:"unset"`
}

// SetChannel self-assigns a channel (POST /channel_self).
func (c *Client) SetChannel(ctx context.Context, info *protocol.Info, channel string, reply *ChannelReply) Result {
	bp := c.getBuf()
	*bp = AppendChannelRequest((*bp)[:0], info, channel)
	res := c.do(ctx, http.MethodPost, c.cfg.Endpoints.Channel, *bp, reply, info)
	c.putBuf(bp)
	return res
}

// GetChannel asks the device's channel (PUT /channel_self).
func (c *Client) GetChannel(ctx context.Context, info *protocol.Info, reply *ChannelReply) Result {
	bp := c.getBuf()
	*bp = AppendInfo((*bp)[:0], info)
	res := c.do(ctx, http.MethodPut, c.cfg.Endpoints.Channel, *bp, reply, info)
	c.putBuf(bp)
	return res
}

// ListChannels lists the channels the device may pick (GET /channel_self,
// the info as query parameters).
func (c *Client) ListChannels(ctx context.Context, info *protocol.Info, reply *[]protocol.ChannelListItem) Result {
	u, err := url.Parse(c.cfg.Endpoints.Channel)
	if err != nil {
		return Result{RetryAfter: -1, Err: err, Outcome: results.OutcomeNetworkError, Cause: CauseNetwork}
	}
	q := u.Query()
	// Every field of the info object, as the plugin adds them
	// (A/CapgoUpdater.java:2632 listChannels).
	for _, f := range infoFields(info) {
		if f.present {
			q.Set(f.name, f.value)
		}
	}
	u.RawQuery = q.Encode()
	return c.do(ctx, http.MethodGet, u.String(), nil, reply, info)
}

// UnsetChannel clears the device's override (DELETE /channel_self).
func (c *Client) UnsetChannel(ctx context.Context, info *protocol.Info, reply *ChannelReply) Result {
	bp := c.getBuf()
	*bp = AppendInfo((*bp)[:0], info)
	res := c.do(ctx, http.MethodDelete, c.cfg.Endpoints.Channel, *bp, reply, info)
	c.putBuf(bp)
	return res
}

// checksumOK compares a SHA-256 sum with the hex checksum the server
// announced (case-insensitive). An empty checksum is accepted, as the
// plugin does without an encryption key.
func checksumOK(sum []byte, want string) bool {
	if want == "" {
		return true
	}
	var got [64]byte
	hex.Encode(got[:], sum)
	return strings.EqualFold(string(got[:]), want)
}
