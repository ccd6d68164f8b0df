package refserver

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// guard bounds every wait of these tests; the timeouts under test are
// far shorter, so only a server that never acts reaches it.
const guard = 30 * time.Second

// withBounds sets the server's bounds, the CPU guard off.
func withBounds(b Bounds) serverOpt {
	return func(c *Config) {
		c.Bounds = b
		c.Bounds.NoCPUGuard = true
	}
}

// waitConns waits until the server holds want connections open.
func waitConns(t *testing.T, ts *testServer, want float64) {
	t.Helper()
	for end := time.Now().Add(guard); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if testutil.ToFloat64(ts.metrics.conns) == want {
			return
		}
	}
	t.Fatalf("the server holds %v connections, want %v", testutil.ToFloat64(ts.metrics.conns), want)
}

func dial(t *testing.T, ts *testServer) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// reply reads one reply from a raw connection.
func reply(t *testing.T, c net.Conn) (*http.Response, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(guard))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func TestSlowClientsAreClosed(t *testing.T) {
	short := Bounds{HeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond, MinTransferRate: 1 << 30}
	for _, c := range []struct {
		name string
		send string
	}{
		{"slow headers", "POST /stats HTTP/1.1\r\nHost: x\r\n"},
		{"slow body", "POST /stats HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"},
		{"idle after a reply", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := startServer(t, withBounds(short))
			conn := dial(t, ts)
			if _, err := io.WriteString(conn, c.send); err != nil {
				t.Fatal(err)
			}
			waitConns(t, ts, 1)
			// The client holds its end open and sends nothing more.
			waitConns(t, ts, 0)
		})
	}
}

func TestSlowReaderIsDropped(t *testing.T) {
	ts := startServer(t, withBounds(Bounds{WriteTimeout: 200 * time.Millisecond, MinTransferRate: 1 << 30}))
	const size = 32 << 20
	if st := ts.admin(t, "POST", "/admin/apps/"+DemoAppID+"/bundles", map[string]any{"name": "9.0.0", "size": size}, nil); st != 201 {
		t.Fatalf("create bundle: %d", st)
	}
	http.DefaultClient.CloseIdleConnections()
	waitConns(t, ts, 0)
	conn := dial(t, ts)
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	io.WriteString(conn, "GET /cdn/"+DemoAppID+"/9.0.0.zip HTTP/1.1\r\nHost: x\r\n\r\n")
	waitConns(t, ts, 1)
	// The client reads nothing: the server gives up on it, long before
	// the kernel's buffers could hold the whole bundle.
	waitConns(t, ts, 0)
}

func TestConnectionCap(t *testing.T) {
	ts := startServer(t, withBounds(Bounds{MaxConns: 2}))
	held := []net.Conn{dial(t, ts), dial(t, ts)}
	for _, c := range held {
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		if res, _ := reply(t, c); res.StatusCode != 200 {
			t.Fatalf("held connection: %d", res.StatusCode)
		}
	}
	over := dial(t, ts)
	io.WriteString(over, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	res, body := reply(t, over)
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("over the cap: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if e := checkErrorShape(t, body); e.Error != "server_error" {
		t.Fatalf("reply %s", body)
	}
	if got := testutil.ToFloat64(ts.metrics.shedTotal.WithLabelValues("connection", "connection_limit")); got != 1 {
		t.Fatalf("shed connections %v, want 1", got)
	}
	held[0].Close()
	waitConns(t, ts, 1)
	again := dial(t, ts)
	io.WriteString(again, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if res, _ := reply(t, again); res.StatusCode != 200 {
		t.Fatalf("under the cap again: %d", res.StatusCode)
	}
}

// TestServerErrorsAreJSON: the replies net/http and http.ServeContent
// write themselves come in the protocol's JSON shape too.
func TestServerErrorsAreJSON(t *testing.T) {
	ts := startServer(t)
	cases := []struct {
		name, req string
		status    int
		code      string
	}{
		{"headers over the limit", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2*MaxHeaderBytes) + "\r\n\r\n", 431, "headers_too_large"},
		{"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400, "bad_request"},
		{"malformed request line", "GARBAGE\r\n\r\n", 400, "bad_request"},
		{"unknown transfer coding", "POST /stats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "not_implemented"},
		{"range outside the bundle", "GET /cdn/" + DemoAppID + "/1.1.0.zip HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999-\r\n\r\n", 416, "range_not_satisfiable"},
		{"stats body over the limit", "POST /stats HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n", 413, "body_too_large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := dial(t, ts)
			io.WriteString(conn, c.req)
			res, body := reply(t, conn)
			if res.StatusCode != c.status || res.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d %q, want %d JSON: %s", res.StatusCode, res.Header.Get("Content-Type"), c.status, body)
			}
			var e struct{ Error, Message string }
			if err := json.Unmarshal(body, &e); err != nil || e.Error != c.code || e.Message == "" {
				t.Fatalf("reply %q, want error %q", body, c.code)
			}
		})
	}
}
