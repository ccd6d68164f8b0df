package memnet

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkRequest is one request and its reply through net/http on both
// ends, with a server's timeouts set as the reference server's are: a
// request sets the connection's deadlines eight times.
func BenchmarkRequest(b *testing.B) {
	hc := serveOK(b)
	b.ReportAllocs()
	for b.Loop() {
		get(b, hc)
	}
}

// BenchmarkRequestParallel is BenchmarkRequest on many connections at
// once (64 a CPU), where the runtime's timers are many.
func BenchmarkRequestParallel(b *testing.B) {
	hc := serveOK(b)
	b.ReportAllocs()
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get(b, hc)
		}
	})
}

func serveOK(b *testing.B) *http.Client {
	ln := Listen()
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second,
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return &http.Client{Transport: &http.Transport{DialContext: ln.Dial, MaxIdleConnsPerHost: 1024}}
}

func get(b *testing.B, hc *http.Client) {
	resp, err := hc.Get("http://in-process.invalid/")
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
