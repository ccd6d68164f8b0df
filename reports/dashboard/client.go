package dashboard

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// client is one browser: a queue of messages and a connection with one
// reader and one writer goroutine.
type client struct {
	conn *websocket.Conn
	send chan []byte
	quit chan struct{}
	once sync.Once
}

func (c *client) close() { c.once.Do(func() { close(c.quit) }) }

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the request
	}
	c := &client{conn: conn, send: make(chan []byte, sendQueue), quit: make(chan struct{})}
	s.mu.Lock()
	hist, err := json.Marshal(message{Type: "history", Frames: s.historyLocked()})
	if err == nil {
		c.send <- hist // the queue is empty: this never blocks
	}
	if s.closed {
		c.close() // the writer says goodbye and closes
	} else {
		s.clients[c] = struct{}{}
	}
	s.mu.Unlock()
	s.log.Debug("dashboard: browser connected", "remote", r.RemoteAddr)

	go s.writer(c)
	s.reader(c)
}

// reader reads (and discards) what the browser sends, so control frames
// are handled, until the connection fails; then it unregisters the client.
func (s *Server) reader(c *client) {
	defer func() {
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
		c.close()
	}()
	c.conn.SetReadLimit(maxMessageSize)
	_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			return
		}
	}
}

// writer sends queued messages and pings, each write bounded by writeWait.
func (s *Server) writer(c *client) {
	ping := time.NewTicker(pingPeriod)
	defer func() {
		ping.Stop()
		c.conn.Close() // ends the reader too
	}()
	for {
		select {
		case b := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
				return
			}
		case <-ping.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		case <-c.quit:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			_ = c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "run ended"))
			return
		}
	}
}
