package refserver

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/internal/servertest"
	"github.com/otasim/otasim/reference-server/live"
)

// TestRetriedBatchCountsOnce: the plugin posts a batch again when it got
// no answer (a timeout) or a 5xx; the retry is acknowledged like the first
// post, and its events are stored and counted once.
func TestRetriedBatchCountsOnce(t *testing.T) {
	ts := startServer(t)
	batch := []protocol.StatsEvent{event(uuid(1), "set", "1.1.0", "1.0.0"), event(uuid(2), "update_fail", "1.1.0", "")}
	batch[1].Timestamp = 2
	for attempt := range 3 {
		st, raw := do(t, "POST", ts.URL+"/stats", batch)
		var rep protocol.StatsReply
		if err := json.Unmarshal(raw, &rep); st != 200 || err != nil || len(rep.Results) != 2 ||
			rep.Results[0].Status != "ok" || rep.Results[1].Status != "ok" {
			t.Fatalf("attempt %d: %d %s", attempt+1, st, raw)
		}
	}
	var bs live.BundleStats
	ts.admin(t, "GET", "/admin/apps/com.example.app/bundles/1.1.0/stats", nil, &bs)
	if bs.Installs != 1 || bs.FailuresTotal != 1 {
		t.Fatalf("after three posts of one batch: %+v", bs)
	}
	if n := storedEvents(t, ts); n != 2 {
		t.Fatalf("%d events stored, want 2", n)
	}
}

// storedEvents stops the server and counts the events in its database.
func storedEvents(t *testing.T, ts *testServer) int {
	t.Helper()
	ts.stop()
	db, err := sql.Open("sqlite", "file:"+ts.DB+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM stats_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFloodIsShed: a flood of /stats batches while the writer is stalled
// is shed (429 with Retry-After and a reason) rather than held: the
// server's memory stays within its bounds, and once the writer moves on
// every acknowledged event is stored exactly once. Bounded: one post per
// client, loopback only, no timing in the assertions.
func TestFloodIsShed(t *testing.T) {
	const clients, perBatch = 400, protocol.MaxStatsBatch
	// The CPU guard is off: how busy the test's machine is must not change
	// what is shed (cpuguard_test.go tests it).
	ts := startServer(t, withBounds(Bounds{MaxInFlight: 16, StatsQueue: 4 * perBatch, NoCPUGuard: true}))
	// One body shared by every client: the test's own memory stays small.
	batch := make([]protocol.StatsEvent, perBatch)
	for i := range batch {
		batch[i] = event(uuid(1), "app_moved_to_foreground", "1.1.0", "")
		batch[i].Timestamp = int64(i + 1)
		batch[i].Metadata = map[string]string{"pad": string(bytes.Repeat([]byte("x"), 200))}
	}
	bodies := make([][]byte, clients)
	for c := range bodies {
		for i := range batch {
			batch[i].DeviceID = uuid(c)
		}
		bodies[c], _ = json.Marshal(batch)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	unlock := servertest.LockDB(t, ts.DB)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: clients, MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	type result struct {
		status     int
		retryAfter string
		reason     string
	}
	results := make(chan result, clients)
	for c := range clients {
		go func() {
			res, err := client.Post(ts.URL+"/stats", "application/json", bytes.NewReader(bodies[c]))
			if err != nil {
				results <- result{status: -1, reason: err.Error()}
				return
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var rep struct {
				MoreInfo struct{ Reason string } `json:"moreInfo"`
			}
			json.Unmarshal(raw, &rep)
			results <- result{res.StatusCode, res.Header.Get("Retry-After"), rep.MoreInfo.Reason}
		}()
	}
	// Every client but those the stalled writer holds is answered now.
	statuses := map[int]int{}
	reasons := map[string]int{}
	answered := 0
	for answered < clients {
		pending, _ := ts.state.StatsQueue()
		if answered >= clients-int(pending)/perBatch {
			break
		}
		select {
		case r := <-results:
			answered++
			statuses[r.status]++
			if r.status == 429 {
				reasons[r.reason]++
				if r.retryAfter == "" {
					t.Fatal("a 429 without Retry-After")
				}
			}
		case <-time.After(10 * time.Millisecond): // look at the queue again
		}
	}
	runtime.GC()
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	held := int64(during.HeapAlloc) - int64(before.HeapAlloc)
	unlock()
	for ; answered < clients; answered++ {
		r := <-results
		statuses[r.status]++
	}
	t.Logf("statuses %v, shed reasons %v, heap held while stalled %.1f MB", statuses, reasons, float64(held)/1e6)
	// Which bound a flood meets first depends on how fast the machine
	// decodes; TestShedReasons meets each one in turn.
	if statuses[429] == 0 || reasons[ReasonInFlight]+reasons[ReasonStatsQueue] != statuses[429] {
		t.Fatalf("a flood not shed, or shed for another reason: %v %v", statuses, reasons)
	}
	if statuses[200]+statuses[429] != clients {
		t.Fatalf("statuses %v: only 200 and 429 are answers to a flood", statuses)
	}
	// Held: the admitted requests' events (16 in flight), the bodies and
	// connections of 400 clients; unbounded, 400 batches of 200 decoded
	// events would hold about 100 MB.
	if held > 40<<20 {
		t.Fatalf("the server held %.1f MB while shedding", float64(held)/1e6)
	}
	if n := storedEvents(t, ts); n != statuses[200]*perBatch {
		t.Fatalf("%d events stored, %d acknowledged", n, statuses[200]*perBatch)
	}
}

// TestShedReasons meets each bound of /stats in turn, the writer stalled
// so that admitted posts stay in flight with their events queued: past
// the requests in flight a post is shed as server_busy, past the queued
// events as stats_queue_full; the admitted ones are acknowledged once the
// writer moves on.
func TestShedReasons(t *testing.T) {
	for _, c := range []struct {
		reason string
		bounds Bounds
	}{
		{ReasonInFlight, Bounds{MaxInFlight: 3, StatsQueue: 1000, NoCPUGuard: true}},
		{ReasonStatsQueue, Bounds{MaxInFlight: 16, StatsQueue: 3, NoCPUGuard: true}},
	} {
		t.Run(c.reason, func(t *testing.T) {
			ts := startServer(t, withBounds(c.bounds))
			post := func(i int) (*http.Response, error) {
				ev := event(uuid(i), "set", "1.1.0", "1.0.0")
				body, _ := json.Marshal([]protocol.StatsEvent{ev})
				return http.Post(ts.URL+"/stats", "application/json", bytes.NewReader(body))
			}
			unlock := servertest.LockDB(t, ts.DB)
			defer unlock()
			admitted := make(chan int, 3)
			for i := range 3 {
				go func() {
					res, err := post(i + 1)
					if err != nil {
						admitted <- -1
						return
					}
					res.Body.Close()
					admitted <- res.StatusCode
				}()
			}
			// Bounded: a stalled commit waits for the lock far longer.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if pending, _ := ts.state.StatsQueue(); pending == 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("three posts never queued")
				}
			}
			res, err := post(4)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var rep struct {
				Error    string
				MoreInfo struct{ Reason string } `json:"moreInfo"`
			}
			_ = json.Unmarshal(raw, &rep)
			if res.StatusCode != 429 || rep.Error != protocol.CodeTooManyRequests || rep.MoreInfo.Reason != c.reason || res.Header.Get("Retry-After") == "" {
				t.Fatalf("the fourth post: %d %s, Retry-After %q; want 429 %s", res.StatusCode, raw, res.Header.Get("Retry-After"), c.reason)
			}
			unlock()
			for range 3 {
				if st := <-admitted; st != 200 {
					t.Fatalf("an admitted post answered %d", st)
				}
			}
			if n := storedEvents(t, ts); n != 3 {
				t.Fatalf("%d events stored, 3 acknowledged", n)
			}
		})
	}
}

// TestStorageFailing: while commits fail (the events table gone, as a
// full or broken disk makes them fail), /stats answers 503 with
// Retry-After and /healthz 503 storage_failing; once storage works again
// both are 200, and only the acknowledged batch is stored.
func TestStorageFailing(t *testing.T) {
	ts := startServer(t)
	db, err := sql.Open("sqlite", "file:"+ts.DB+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	post := func(ts0 int64) (int, []byte, string) {
		t.Helper()
		ev := event(uuid(1), "set", "1.1.0", "1.0.0")
		ev.Timestamp = ts0
		st, raw, hdr := servertest.Do(t, "POST", ts.URL+"/stats", []protocol.StatsEvent{ev})
		return st, raw, hdr.Get("Retry-After")
	}
	health := func() (int, string) {
		t.Helper()
		st, raw, _ := servertest.Do(t, "GET", ts.URL+"/healthz", nil)
		var e struct{ Reason string }
		_ = json.Unmarshal(raw, &e)
		return st, e.Reason
	}
	if st, _ := health(); st != 200 {
		t.Fatalf("healthz before: %d", st)
	}
	exec(`ALTER TABLE stats_events RENAME TO gone`)
	for i := range 3 {
		if st, raw, retry := post(int64(10 + i)); st != 503 || retry == "" {
			t.Fatalf("post %d while storage fails: %d %s, Retry-After %q", i+1, st, raw, retry)
		}
		if st, reason := health(); st != 503 || reason != ReasonUnhealthy {
			t.Fatalf("healthz while storage fails: %d %q", st, reason)
		}
	}
	exec(`ALTER TABLE gone RENAME TO stats_events`)
	if st, raw, _ := post(20); st != 200 {
		t.Fatalf("post once storage works: %d %s", st, raw)
	}
	if st, _ := health(); st != 200 {
		t.Fatalf("healthz once storage works: %d", st)
	}
	if n := storedEvents(t, ts); n != 1 {
		t.Fatalf("%d events stored, want the one acknowledged", n)
	}
}
