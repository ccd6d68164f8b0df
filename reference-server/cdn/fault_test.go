package cdn

import (
	"errors"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/otasim/otasim/reference-server/faults"
)

func TestFaultReset(t *testing.T) {
	for _, method := range []string{"GET", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			fx := newFixture(t, testSize, faults.CDN{ErrorRate: 1, ErrorMode: faults.ErrorModeReset})
			resp, body, err := fx.get(t, method, fx.url, nil)
			if method == "HEAD" && err == nil {
				// A HEAD reply has no body to cut; the reset may land after
				// the client is done with the connection.
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				return
			}
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("error = %v (after %d bytes), want a connection reset", err, len(body))
			}
			if len(body) >= testSize {
				t.Fatalf("got the whole body (%d bytes) before the reset", len(body))
			}
		})
	}
}

func TestFault5xx(t *testing.T) {
	for _, mode := range []string{"", faults.ErrorMode5xx} {
		fx := newFixture(t, 10_000, faults.CDN{ErrorRate: 1, ErrorMode: mode})
		resp, body, err := fx.get(t, "GET", fx.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("mode %q: status %d, type %q, want 503 JSON", mode, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("Cache-Control") != "" || resp.Header.Get("ETag") != "" {
			t.Errorf("an error reply carries cache headers: %v", resp.Header)
		}
		if len(body) == 0 || body[0] != '{' {
			t.Errorf("body %q", body)
		}
	}
}

func TestFaultTruncate(t *testing.T) {
	fx := newFixture(t, testSize, faults.CDN{TruncateRate: 1})
	for _, rng := range []string{"", "bytes=500000-"} {
		hdr := map[string]string{}
		if rng != "" {
			hdr["Range"] = rng
		}
		resp, body, err := fx.get(t, "GET", fx.url, hdr)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("range %q: error = %v, want unexpected EOF", rng, err)
		}
		if int64(len(body)) >= resp.ContentLength {
			t.Fatalf("range %q: got %d of %d bytes, want fewer", rng, len(body), resp.ContentLength)
		}
		start := testSize - int(resp.ContentLength)
		if string(body) != string(fx.data[start:start+len(body)]) {
			t.Fatalf("range %q: the bytes before the cut differ from the file", rng)
		}
	}
}

func TestFaultCorrupt(t *testing.T) {
	fx := newFixture(t, testSize, faults.CDN{CorruptRate: 1})
	for i := range 5 {
		resp, body, err := fx.get(t, "GET", fx.url, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("download %d: %v", i, err)
		}
		if len(body) != testSize {
			t.Fatalf("download %d: %d bytes, want %d", i, len(body), testSize)
		}
		if sha(body) == fx.sum {
			t.Fatalf("download %d: a corrupted body has the right SHA-256", i)
		}
		diff := 0
		for j := range body {
			if body[j] != fx.data[j] {
				diff++
			}
		}
		if diff != 1 {
			t.Fatalf("download %d: %d bytes differ, want 1", i, diff)
		}
	}
}

func TestFaultBandwidth(t *testing.T) {
	const bps = 200_000 // bytes/s
	fx := newFixture(t, testSize, faults.CDN{BandwidthBps: bps})
	resp, body, err := fx.get(t, "GET", fx.url, nil)
	if err != nil || resp.StatusCode != 200 || sha(body) != fx.sum {
		t.Fatalf("paced download: %v, %d bytes", err, len(body))
	}
	// The first chunk leaves at once, every later byte at 1/bps s.
	chunk := newPacer(fx.clock, bps).chunk
	want := time.Duration(float64(testSize-chunk) / bps * float64(time.Second))
	got, n := fx.clock.slept()
	if d := got - want; d < -time.Microsecond || d > time.Microsecond {
		t.Fatalf("paced for %v over %d waits, want %v", got, n, want)
	}
	if n < testSize/chunk-2 {
		t.Errorf("%d waits for %d chunks: the pacing is not spread", n, testSize/chunk)
	}
}

func TestFaultLatency(t *testing.T) {
	fx := newFixture(t, 10_000, faults.CDN{LatencyMs: 250, JitterMs: 50})
	for range 20 {
		if _, body, err := fx.get(t, "GET", fx.url, nil); err != nil || sha(body) != fx.sum {
			t.Fatalf("download with latency: %v", err)
		}
	}
	fx.clock.mu.Lock()
	defer fx.clock.mu.Unlock()
	if len(fx.clock.sleeps) != 20 {
		t.Fatalf("%d waits for 20 downloads", len(fx.clock.sleeps))
	}
	distinct := map[time.Duration]bool{}
	for _, d := range fx.clock.sleeps {
		if d < 250*time.Millisecond || d > 300*time.Millisecond {
			t.Fatalf("wait %v outside [250ms, 300ms]", d)
		}
		distinct[d] = true
	}
	if len(distinct) < 2 {
		t.Errorf("jitter never varied the wait: %v", fx.clock.sleeps)
	}
}

func TestPacerUnit(t *testing.T) {
	tests := []struct {
		bps    int64
		writes []int
	}{
		{bps: 1000, writes: []int{512, 512, 512, 100}},
		{bps: 1 << 20, writes: []int{32 << 10, 32 << 10, 1, 32 << 10}},
		{bps: 1, writes: []int{512, 1, 1}},
	}
	for _, tt := range tests {
		c := &fakeClock{now: time.Unix(0, 0)}
		p := newPacer(c, tt.bps)
		total := 0
		for _, n := range tt.writes {
			if err := p.wait(t.Context(), n); err != nil {
				t.Fatal(err)
			}
			total += n
		}
		want := time.Duration(float64(max(total-p.chunk, 0)) / float64(tt.bps) * float64(time.Second))
		if got, _ := c.slept(); got < want-time.Microsecond || got > want+time.Microsecond {
			t.Errorf("bps %d writes %v: slept %v, want %v", tt.bps, tt.writes, got, want)
		}
	}
}
