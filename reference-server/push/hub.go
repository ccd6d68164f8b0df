// Package push is the WebSocket hub of the reference server: devices
// connect to /push with their app and channel, and the server tells them at
// once when that channel changes, an otasim extension beside the Capgo
// protocol (whose devices only poll /updates).
package push

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/faults"
)

// Connection timing and limits, after gorilla/websocket's chat example.
const (
	// writeWait is the time allowed to write one message.
	writeWait = 10 * time.Second
	// pongWait is the time allowed to read the next pong from the device.
	pongWait = 60 * time.Second
	// pingPeriod sends pings often enough to beat pongWait.
	pingPeriod = pongWait * 9 / 10
	// closeGrace bounds the wait for a dropped or closing connection's
	// last write.
	closeGrace = time.Second
	// maxMessageSize caps what a device may send; it has nothing to say.
	maxMessageSize = 512
	// sendBuffer is how many messages may wait for a slow device before it
	// is dropped.
	sendBuffer = 16
)

// Error codes of the hub's JSON replies.
const (
	CodeMissingParams = "missing_params"
	CodeHubClosed     = "hub_closed"
)

// key identifies the devices one notification goes to.
type key struct{ appID, channel string }

// Hub holds the connected devices by app and channel. It is safe for
// concurrent use.
type Hub struct {
	log      *slog.Logger
	upgrader websocket.Upgrader
	// pongWait and pingPeriod are the constants of the same names; tests
	// shorten them.
	pongWait, pingPeriod time.Duration

	mu      sync.Mutex
	closed  bool
	clients map[key]map[*client]struct{}
	n       int
	wg      sync.WaitGroup // the goroutines of every connection
}

// NewHub returns an empty hub.
func NewHub(log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		log: log,
		upgrader: websocket.Upgrader{
			ReadBufferSize:  1024,
			WriteBufferSize: 1024,
			// Devices are apps, not pages of another site; there is no
			// browser session to protect.
			CheckOrigin: func(*http.Request) bool { return true },
		},
		clients:    map[key]map[*client]struct{}{},
		pongWait:   pongWait,
		pingPeriod: pingPeriod,
	}
}

// ServeHTTP upgrades GET /push?app_id=&device_id=&channel= to a WebSocket,
// sends a PushSubscribed message once the device is registered, then every
// change of its channel.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	k := key{appID: q.Get("app_id"), channel: q.Get("channel")}
	deviceID := q.Get("device_id")
	if k.appID == "" || k.channel == "" || deviceID == "" {
		faults.WriteError(w, http.StatusBadRequest, CodeMissingParams, "app_id, device_id and channel are required")
		return
	}
	if h.isClosed() {
		faults.WriteError(w, http.StatusServiceUnavailable, CodeHubClosed, "the server is shutting down")
		return
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// Upgrade has answered the client already.
		h.log.Debug("push: upgrade", "err", err)
		return
	}
	c := &client{hub: h, conn: conn, key: k, deviceID: deviceID, send: make(chan []byte, sendBuffer)}
	hello, _ := json.Marshal(protocol.PushMessage{Type: protocol.PushSubscribed, AppID: k.appID, Channel: k.channel})
	c.send <- hello // the buffer is empty: this cannot block
	if !h.register(c) {
		_ = conn.Close()
		return
	}
	go c.writePump()
	c.readPump() // in the handler's goroutine, until the connection ends
}

// Notify tells every device connected for appID and channel that the
// channel now serves version. It never blocks: a device whose buffer is
// full is dropped.
func (h *Hub) Notify(appID, channel, version string) {
	msg, err := json.Marshal(protocol.PushMessage{Type: protocol.PushChannelUpdated, AppID: appID, Channel: channel, Version: version})
	if err != nil {
		return // only strings; cannot fail
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.clients[key{appID, channel}]
	for c := range set {
		select {
		case c.send <- msg:
		default:
			h.log.Info("push: dropping a slow device", "app_id", appID, "channel", channel, "device_id", c.deviceID)
			h.removeLocked(c)
		}
	}
}

// Clients returns how many devices are connected.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// Close ends every connection with a close message and waits for their
// goroutines; later connections are refused.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	for _, set := range h.clients {
		for c := range set {
			h.removeLocked(c)
		}
	}
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *Hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// register adds c unless the hub is closed; it counts c's two goroutines.
func (h *Hub) register(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	set := h.clients[c.key]
	if set == nil {
		set = map[*client]struct{}{}
		h.clients[c.key] = set
	}
	set[c] = struct{}{}
	h.n++
	h.wg.Add(2)
	return true
}

// unregister removes c if it is still registered.
func (h *Hub) unregister(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c.key][c]; ok {
		h.removeLocked(c)
	}
}

// removeLocked removes a registered client and makes its writer finish: a
// client is removed once, so its channel is closed once.
func (h *Hub) removeLocked(c *client) {
	set := h.clients[c.key]
	delete(set, c)
	if len(set) == 0 {
		delete(h.clients, c.key)
	}
	h.n--
	c.stopped.Store(true)
	close(c.send)
	// A writer stuck on a device that stopped reading gives up soon.
	_ = c.conn.NetConn().SetWriteDeadline(time.Now().Add(closeGrace))
}
