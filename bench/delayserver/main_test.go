package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func do(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
	return rec
}

type truth struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func getTruth(t *testing.T, h http.Handler) truth {
	t.Helper()
	var got truth
	if err := json.Unmarshal(do(h, "GET", "/truth", "").Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// Under the bubble's clock every reply takes exactly the delay, the truth
// says so, and a stall holds the replies in progress until it ends.
func TestDelayAndStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newServer(50 * time.Millisecond)
		start := time.Now()
		rec := do(h, "POST", "/updates", `{"device_id":"x"}`)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "no_new_version_available") || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("reply %d %q after %v", rec.Code, rec.Body, time.Since(start))
		}
		if got := getTruth(t, h); got.Count != 1 || got.P50 < 49.9 || got.P50 > 50.1 {
			t.Errorf("truth %+v, want one request of 50 ms", got)
		}
		if rec := do(h, "POST", "/reset", ""); rec.Code != http.StatusNoContent || getTruth(t, h).Count != 0 {
			t.Errorf("reset: %d, truth %+v", rec.Code, getTruth(t, h))
		}

		// A request 20 ms into its delay when a 1 s stall starts answers
		// when the stall ends; one arriving during the stall starts its
		// delay then.
		var wg sync.WaitGroup
		var first, second time.Duration
		start = time.Now()
		wg.Go(func() { do(h, "POST", "/updates", "{}"); first = time.Since(start) })
		time.Sleep(20 * time.Millisecond)
		if rec := do(h, "POST", "/stall?for=1s", ""); rec.Code != http.StatusNoContent {
			t.Fatalf("stall: %d", rec.Code)
		}
		time.Sleep(500 * time.Millisecond)
		wg.Go(func() { do(h, "POST", "/updates", "{}"); second = time.Since(start) })
		wg.Wait()
		if first != 1020*time.Millisecond || second != 1070*time.Millisecond {
			t.Errorf("replies after %v and %v, want 1.02 s and 1.07 s", first, second)
		}
	})
}

func TestStallBadInput(t *testing.T) {
	h := newServer(time.Millisecond)
	for _, q := range []string{"", "for=", "for=-1s", "for=0s", "for=2m", "for=abc"} {
		if rec := do(h, "POST", "/stall?"+q, ""); rec.Code != http.StatusBadRequest {
			t.Errorf("/stall?%s: %d, want 400", q, rec.Code)
		}
	}
}

func FuzzStall(f *testing.F) {
	for _, s := range []string{"1s", "500ms", "-1s", "1e9h", "", "1m0.000000001s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		h := newServer(time.Millisecond)
		rec := do(h, "POST", "/stall?for="+url.QueryEscape(d), "")
		if rec.Code != http.StatusNoContent && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d", rec.Code)
		}
	})
}
