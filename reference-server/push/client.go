package push

import (
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// client is one connected device: readPump runs in the handler's
// goroutine, writePump in its own; only writePump writes.
type client struct {
	hub      *Hub
	conn     *websocket.Conn
	key      key
	deviceID string
	// send holds the messages waiting for the writer; the hub closes it to
	// end the connection.
	send chan []byte
	// stopped is set with the close of send, so that the writer does not
	// spend writeWait per message still queued for a dropped device.
	stopped atomic.Bool
}

// readPump reads (and discards) what the device sends, answering pings
// with pongs, until the connection fails; pongs keep it alive.
func (c *client) readPump() {
	defer func() {
		c.hub.unregister(c)
		_ = c.conn.Close()
		c.hub.wg.Done()
	}()
	c.conn.SetReadLimit(maxMessageSize)
	_ = c.conn.SetReadDeadline(time.Now().Add(c.hub.pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(c.hub.pongWait))
	})
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			return
		}
	}
}

// writePump sends queued messages and pings until send is closed, then a
// close message.
func (c *client) writePump() {
	ticker := time.NewTicker(c.hub.pingPeriod)
	defer func() {
		ticker.Stop()
		_ = c.conn.Close()
		c.hub.wg.Done()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			if !ok || c.stopped.Load() {
				_ = c.conn.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(closeGrace))
				return
			}
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ticker.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}
