package cdn

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/otasim/otasim/reference-server/faults"
)

// spyListener hands out connections that note what net/http passes to
// ReadFrom before letting the TCP connection (sendfile) do the copy.
type spyListener struct {
	net.Listener
	mu      sync.Mutex
	sources []string
}

func (l *spyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &spyConn{TCPConn: c.(*net.TCPConn), l: l}, nil
}

type spyConn struct {
	*net.TCPConn
	l *spyListener
}

func (c *spyConn) ReadFrom(r io.Reader) (int64, error) {
	src := fmt.Sprintf("%T", r)
	if lr, ok := r.(*io.LimitedReader); ok {
		src += "/" + fmt.Sprintf("%T", lr.R)
	}
	c.l.mu.Lock()
	c.l.sources = append(c.l.sources, src)
	c.l.mu.Unlock()
	return c.TCPConn.ReadFrom(r)
}

// TestFastPathSendfile checks that with no fault the bundle file itself
// reaches the socket's ReadFrom, which the kernel serves with sendfile, and
// that with a fault it does not.
func TestFastPathSendfile(t *testing.T) {
	for _, tt := range []struct {
		name  string
		knobs faults.CDN
		want  bool
	}{
		{"no faults", faults.CDN{}, true},
		{"faults", faults.CDN{CorruptRate: 1}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, testSize, tt.knobs)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			spy := &spyListener{Listener: ln}
			srv := &httptest.Server{Listener: spy, Config: &http.Server{Handler: fx.srv.Config.Handler}}
			srv.Start()
			defer srv.Close()
			for _, rng := range []string{"", "bytes=1000-"} {
				req, _ := http.NewRequest("GET", srv.URL+"/cdn/"+testApp+"/"+testVersion+".zip", nil)
				if rng != "" {
					req.Header.Set("Range", rng)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			spy.mu.Lock()
			defer spy.mu.Unlock()
			fileSources := 0
			for _, s := range spy.sources {
				if s == "*io.LimitedReader/*os.File" || s == "*os.File" {
					fileSources++
				}
			}
			if got := fileSources == 2; got != tt.want {
				t.Errorf("file copies handed to the socket: %v, want one per download: %v", spy.sources, tt.want)
			}
		})
	}
}

// BenchmarkServe downloads a 1 MB bundle over a keep-alive connection,
// through the sendfile path and through the fault path (a fault whose rate
// is too small to strike, so only the copying differs).
func BenchmarkServe(b *testing.B) {
	for _, bc := range []struct {
		name  string
		knobs faults.CDN
	}{
		{"sendfile", faults.CDN{}},
		{"fault-path", faults.CDN{ErrorRate: 1e-12}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			fx := newFixture(b, testSize, bc.knobs)
			client := fx.srv.Client()
			b.SetBytes(testSize)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Get(fx.url)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || n != testSize {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
		})
	}
}
