package refserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/otasim/otasim/protocol"
)

// BenchmarkUpdatesHandler measures the /updates path in process, without
// sockets: decode, decide, record the device, encode.
func BenchmarkUpdatesHandler(b *testing.B) {
	h := benchServer(b)
	body := infoSeed()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/updates", bytes.NewReader(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}

// BenchmarkStatsHandler is a /stats batch as a fleet posts it, in
// process: three events of one device (a cold start's launch events with
// their metadata among them) decoded, validated, committed with other
// callers' posts and acknowledged. ns/op is per batch.
func BenchmarkStatsHandler(b *testing.B) {
	h := benchServer(b)
	in := deviceInfo(dev1)
	body, err := json.Marshal(launchBatch(in))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/stats", bytes.NewReader(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"index":2`)) {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkStatsHandlerNewEvents is BenchmarkStatsHandler with events
// never posted before, as a fleet's are: BenchmarkStatsHandler posts the
// same body every time, so from its second post on its events are
// retries, which the writer recognises and does not store. Each post's
// timestamps are new (the body is encoded in the loop, a few µs of the
// op).
func BenchmarkStatsHandlerNewEvents(b *testing.B) {
	h := benchServer(b)
	in := deviceInfo(dev1)
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			evs := launchBatch(in)
			shift := 10_000 * seq.Add(1)
			for i := range evs {
				evs[i].Timestamp += shift
			}
			body, err := json.Marshal(evs)
			if err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest("POST", "/stats", bytes.NewReader(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"index":2`)) {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// benchServer is the demo server's handler, its database in b's folder;
// it is closed when b ends.
func benchServer(b *testing.B) http.Handler {
	b.Helper()
	srv, err := New(Config{DBPath: filepath.Join(b.TempDir(), "b.db"), AdminToken: testToken,
		PublicURL: "http://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	if err := srv.seedDemo(context.Background(), testBundleSize); err != nil {
		b.Fatal(err)
	}
	return srv.Handler()
}

// BenchmarkDecodeStats is the CPU side of a /stats batch before it waits
// for the writer: decoding a fleet's three-event batch (launch events with
// their metadata), validating each event and reading its metadata.
func BenchmarkDecodeStats(b *testing.B) {
	in := deviceInfo(dev1)
	body, err := json.Marshal(launchBatch(in))
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{dj: newWireDecoder()}
	b.ReportAllocs()
	for b.Loop() {
		sc := s.scratch.get()
		evs, _, _, ok := s.decodeStats(body, sc)
		if !ok || len(evs) != 3 {
			b.Fatal("not decoded")
		}
		for i := range evs {
			if rej := parsePluginBody(&evs[i], parseOpts{schema: statsSchema, invalidCode: protocol.CodeInvalidJSONBody, requireDevice: true}); rej != nil {
				b.Fatal(rej.message)
			}
		}
		s.scratch.put(sc) // as handleStats does once it has answered
	}
}

// launchBatch is a cold start's launch events, with their metadata.
func launchBatch(in protocol.Info) []protocol.StatsEvent {
	return []protocol.StatsEvent{
		{Info: in, Action: protocol.ActionAppLaunchStart, Timestamp: 1_900_000_000_000,
			Metadata: map[string]string{"launch_started_at": "1900000000000", "source": "plugin_load"}},
		{Info: in, Action: protocol.ActionMovedToForeground, Timestamp: 1_900_000_000_001},
		{Info: in, Action: protocol.ActionAppLaunchReady, Timestamp: 1_900_000_001_500,
			Metadata: map[string]string{"duration_ms": "1500", "launch_started_at": "1900000000000", "source": "notify_app_ready"}},
	}
}
