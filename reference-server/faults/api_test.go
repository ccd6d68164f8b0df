package faults

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/otasim/otasim/protocol"
)

// okHandler answers 200 "ok" and counts its calls.
type okHandler struct{ calls int }

func (h *okHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h.calls++
	_, _ = io.WriteString(w, "ok")
}

func TestAPIMiddlewareReplies(t *testing.T) {
	tests := []struct {
		name       string
		api        API
		wantStatus int
		wantCode   string
		wantRetry  string
		wantNext   bool
	}{
		{name: "no faults", wantStatus: http.StatusOK, wantNext: true},
		{name: "rate limited", api: API{RateLimitRate: 1, RetryAfterS: 42},
			wantStatus: http.StatusTooManyRequests, wantCode: protocol.CodeTooManyRequests, wantRetry: "42"},
		{name: "server error", api: API{ErrorRate: 1},
			wantStatus: http.StatusServiceUnavailable, wantCode: protocol.CodeServerError},
		{name: "rate limit wins over error", api: API{ErrorRate: 1, RateLimitRate: 1},
			wantStatus: http.StatusTooManyRequests, wantCode: protocol.CodeTooManyRequests, wantRetry: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw := NewSwitch()
			if err := sw.Store(Knobs{API: tt.api}); err != nil {
				t.Fatal(err)
			}
			next := &okHandler{}
			srv := httptest.NewServer(APIMiddlewareRand(sw, NewRand(1), next))
			defer srv.Close()

			resp, err := http.Post(srv.URL+"/updates", "application/json", nil)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := next.calls > 0; got != tt.wantNext {
				t.Errorf("next called = %v, want %v", got, tt.wantNext)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
			if tt.wantCode == "" {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var e protocol.Error
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if e.Error != tt.wantCode || e.Kind != protocol.KindFailed || e.Message == "" {
				t.Errorf("error reply = %+v, want code %q kind failed with a message", e, tt.wantCode)
			}
		})
	}
}

func TestAPIMiddlewareRates(t *testing.T) {
	sw := NewSwitch()
	if err := sw.Store(Knobs{API: API{ErrorRate: 0.3, RateLimitRate: 0.2}}); err != nil {
		t.Fatal(err)
	}
	next := &okHandler{}
	h := APIMiddlewareRand(sw, NewRand(7), next)
	counts := map[int]int{}
	const n = 2000
	for range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/updates", nil))
		counts[rec.Code]++
	}
	// Expected shares: 429 0.2, 503 0.8*0.3 = 0.24, 200 0.56; bounds are
	// wide (over 5 sigma) and the seed is fixed.
	check := func(status int, lo, hi int) {
		if c := counts[status]; c < lo || c > hi {
			t.Errorf("status %d answered %d times, want within [%d, %d] (all: %v)", status, c, lo, hi, counts)
		}
	}
	check(http.StatusTooManyRequests, 310, 490)
	check(http.StatusServiceUnavailable, 380, 580)
	check(http.StatusOK, 1000, 1240)
	if next.calls != counts[http.StatusOK] {
		t.Errorf("next called %d times for %d OK answers", next.calls, counts[http.StatusOK])
	}
}

func TestAPIMiddlewareLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sw := NewSwitch()
		if err := sw.Store(Knobs{API: API{LatencyMs: 1500, JitterMs: 0}}); err != nil {
			t.Fatal(err)
		}
		next := &okHandler{}
		h := APIMiddlewareRand(sw, NewRand(1), next)

		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/updates", nil))
		if got := time.Since(start); got != 1500*time.Millisecond {
			t.Errorf("delay = %v, want 1.5s", got)
		}
		if rec.Code != http.StatusOK || next.calls != 1 {
			t.Fatalf("status %d, next calls %d; want 200 and 1", rec.Code, next.calls)
		}

		// A client that goes away ends the wait at once, and next never runs.
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		start = time.Now()
		go func() {
			defer close(done)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/updates", nil).WithContext(ctx))
		}()
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("handler returned before the latency passed")
		default:
		}
		cancel()
		<-done
		if got := time.Since(start); got != 200*time.Millisecond {
			t.Errorf("cancelled request took %v, want 200ms", got)
		}
		if next.calls != 1 {
			t.Errorf("next ran for a cancelled request")
		}
	})
}

func TestRandDelayJitter(t *testing.T) {
	r := NewRand(3)
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := r.Delay(100, 10)
		if d < 100*time.Millisecond || d > 110*time.Millisecond {
			t.Fatalf("Delay(100, 10) = %v, outside [100ms, 110ms]", d)
		}
		seen[d] = true
	}
	if len(seen) != 11 {
		t.Errorf("Delay(100, 10) took %d distinct values in 1000 draws, want all 11", len(seen))
	}
}

// BenchmarkAPIMiddlewareNoFaults shows the cost of the middleware when no
// API fault is set: one atomic load, no allocation.
func BenchmarkAPIMiddlewareNoFaults(b *testing.B) {
	h := APIMiddleware(NewSwitch(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodPost, "/updates", nil)
	var w http.ResponseWriter = httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
