package memnet

import (
	"context"
	"net"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

// A connection behaves as net.Conn says, deadlines included: x/net's
// conformance suite, the one net.Pipe and TCP pass.
func TestConnConformance(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		c1, c2 = pair(t)
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}

// A deadline cleared or moved later does not fire at the time it had: the
// timer armed for it finds it gone, or arms itself again.
func TestDeadlineMoved(t *testing.T) {
	for name, later := range map[string]time.Time{"cleared": {}, "moved later": time.Now().Add(time.Hour)} {
		t.Run(name, func(t *testing.T) {
			c1, c2 := pair(t)
			c1.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			c1.SetReadDeadline(later)
			go func() {
				time.Sleep(50 * time.Millisecond) // past the first deadline
				c2.Write([]byte("x"))
			}()
			if _, err := c1.Read(make([]byte, 1)); err != nil {
				t.Fatalf("read: %v, want the byte written after the first deadline", err)
			}
		})
	}
}

func pair(t *testing.T) (c1, c2 net.Conn) {
	ln := Listen()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c1, err := ln.Dial(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	c2 = <-accepted
	t.Cleanup(func() { c1.Close(); c2.Close(); ln.Close() })
	return c1, c2
}
