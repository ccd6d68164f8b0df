package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestLoadAcksOnlyWhatWasAnswered runs the generator against a loopback
// server that sheds every other /stats post with a 429: every event the
// generator counts as acknowledged reached the server in a post answered
// 200, shed batches are posted again, and Retry-After is honoured.
func TestLoadAcksOnlyWhatWasAnswered(t *testing.T) {
	var mu sync.Mutex
	okTS := map[int64]bool{} // timestamps of events in posts answered 200
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/updates" {
			io.WriteString(w, `{"error":"no_new_version_available","message":"up to date"}`)
			return
		}
		var evs []struct{ Timestamp int64 }
		if err := json.Unmarshal(body, &evs); err != nil || len(evs) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		posts++
		if posts%2 == 0 {
			w.Header().Set("Retry-After", "0.01")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":"too_many_requests","message":"shed"}`)
			return
		}
		for _, e := range evs {
			okTS[e.Timestamp] = true
		}
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer srv.Close()
	c := Config{URL: srv.URL, AppID: "com.example.app", Conns: 8, Devices: 100, Duration: 400 * time.Millisecond,
		Think: 5 * time.Millisecond, MaxBatch: 5, Lose: 0.2, Timeout: 5 * time.Second}
	res, err := Load(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st := res.Stats.snapshot()
	if st[http.StatusOK] == 0 || st[http.StatusTooManyRequests] == 0 || res.Reposts == 0 {
		t.Fatalf("statuses %v, reposts %d: want both answers and batches posted again", st, res.Reposts)
	}
	mu.Lock()
	defer mu.Unlock()
	var acked int64
	for _, r := range res.Acked {
		for i := r.First; i < r.First+r.N; i++ {
			if !okTS[TimestampBase+i] {
				t.Fatalf("event %d counted as acknowledged, never answered 200", i)
			}
		}
		acked += r.N
	}
	if acked != res.AckedN || acked == 0 {
		t.Fatalf("%d events in the acknowledged ranges, %d counted", acked, res.AckedN)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{URL: "http://127.0.0.1:1", Conns: 1, Devices: 1, MaxBatch: 1, Duration: time.Second, Timeout: time.Second}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Config{
		"not loopback": {URL: "http://10.0.0.1:80", Conns: 1, Devices: 1, MaxBatch: 1, Duration: time.Second, Timeout: time.Second},
		"batch > 200":  {URL: ok.URL, Conns: 1, Devices: 1, MaxBatch: 201, Duration: time.Second, Timeout: time.Second},
		"lose 1":       {URL: ok.URL, Conns: 1, Devices: 1, MaxBatch: 1, Duration: time.Second, Timeout: time.Second, Lose: 1},
	} {
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
