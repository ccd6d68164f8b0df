package sim

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"time"

	"github.com/gorilla/websocket"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/sched"
)

// Push: during a session, a device of a push cohort holds a WebSocket to
// the server's /push endpoint; when told its channel changed, it checks at
// once. One reader goroutine per open socket (sessions are short, and
// only push cohorts hold one); the engine learns of a message through the
// pushes channel.
const (
	// maxPushConns bounds the sockets open at once; devices beyond it
	// fall back to polling (counted in a warning).
	maxPushConns   = 4096
	pushDialWait   = 5 * time.Second
	pushReadLimit  = 64 << 10
	pushQueueDepth = 4096
)

type pushConn struct {
	cancel context.CancelFunc
}

// pushState is the engine's side of push.
type pushState struct {
	ctx     context.Context
	conns   map[uint32]*pushConn
	events  chan uint32
	dialer  *websocket.Dialer
	skipped int64
	opened  int64
	pushed  int64
	failed  chan struct{}
	nFailed int64
}

// init readies push; dial opens the sockets (nil: TCP).
func (p *pushState) init(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error)) {
	p.ctx = ctx
	p.conns = map[uint32]*pushConn{}
	p.events = make(chan uint32, pushQueueDepth)
	p.failed = make(chan struct{}, pushQueueDepth)
	p.dialer = &websocket.Dialer{HandshakeTimeout: pushDialWait, NetDialContext: dial}
}

// defaultChannel is the channel a device without one gets: the first
// public channel of the app.
func (e *engine) defaultChannel() string {
	for _, c := range e.sc.App.Channels {
		if c.Public {
			return c.Name
		}
	}
	return ""
}

// pushConnect opens the device's push socket for its session.
func (e *engine) pushConnect(i uint32, _ *device.State) {
	p := &e.push
	if e.cfg.PushURL == "" || e.stopping || p.conns == nil {
		return
	}
	if _, ok := p.conns[i]; ok {
		return
	}
	if len(p.conns) >= maxPushConns {
		p.skipped++
		return
	}
	ch := e.channelOf(i)
	if ch == "" {
		ch = e.defaultChannel()
	}
	q := url.Values{"app_id": {e.sc.App.ID}, "device_id": {e.pop.DeviceID(i)}, "channel": {ch}}
	u := e.cfg.PushURL + "?" + q.Encode()
	ctx, cancel := context.WithCancel(p.ctx)
	p.conns[i] = &pushConn{cancel: cancel}
	p.opened++
	go p.hold(ctx, i, u)
}

// hold runs on its own goroutine: it reads the socket until the session
// ends (ctx) or the server closes it.
func (p *pushState) hold(ctx context.Context, dev uint32, u string) {
	conn, resp, err := p.dialer.DialContext(ctx, u, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if ctx.Err() == nil {
			select {
			case p.failed <- struct{}{}:
			default:
			}
		}
		return
	}
	conn.SetReadLimit(pushReadLimit)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var m protocol.PushMessage
		if json.Unmarshal(msg, &m) != nil || m.Type != protocol.PushChannelUpdated {
			continue
		}
		select {
		case p.events <- dev:
		case <-ctx.Done():
			return
		}
	}
}

// pushDisconnect closes it at the end of the session.
func (e *engine) pushDisconnect(i uint32) {
	if c := e.push.conns[i]; c != nil {
		c.cancel()
		delete(e.push.conns, i)
	}
}

// pushed schedules the check of a device its server told.
func (e *engine) pushed(dev uint32) {
	if _, open := e.push.conns[dev]; !open {
		return
	}
	e.push.pushed++
	e.q.Push(sched.Event{At: e.virtualMs(), Device: dev, Kind: evPush})
}

// closePush closes every socket.
func (e *engine) closePush() {
	for i, c := range e.push.conns {
		c.cancel()
		delete(e.push.conns, i)
	}
}
