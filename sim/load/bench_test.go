package load

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/results"
)

// Hot paths of a load test, per request: when the next request is due,
// the device's info object and body, the reply parsed, the latencies
// recorded, and a whole round trip over loopback.

func BenchmarkScheduleAt(b *testing.B) {
	s, err := Ramping(0, []Stage{{1000, time.Minute}, {1000, time.Minute}, {0, time.Minute}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n, count := int64(0), s.Count()
	for b.Loop() {
		if _, ok := s.At(n); !ok {
			n = -1
		}
		n = (n + 1) % count
	}
}

func BenchmarkBuildRequest(b *testing.B) {
	f := benchFleet(b)
	var info protocol.Info
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.Info(i%f.Len(), &info)
		buf = client.AppendInfo(buf[:0], &info)
		i++
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkRecordLatency(b *testing.B) {
	w := &worker{latency: newHist(), service: newHist(), lag: newHist()}
	b.ReportAllocs()
	d := time.Duration(0)
	for b.Loop() {
		d = (d + 7919*time.Microsecond) % (2 * time.Second)
		w.record(w.latency, d)
		w.record(w.service, d/2)
	}
}

// What a request adds for live exports: its outcome, its latency and its
// lag in the live buckets.
func BenchmarkLiveTally(b *testing.B) {
	t := newLiveTally(results.DurationBoundsMicros())
	b.ReportAllocs()
	d := time.Duration(0)
	for b.Loop() {
		d = (d + 7919*time.Microsecond) % (2 * time.Second)
		t.end(results.OutcomeSuccess, d)
		t.lag.observe(d / 8)
	}
}

// A round trip over loopback to a constant handler through the protocol
// client's fast path, the load generator's sender.
func BenchmarkRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"error":"no_new_version_available","message":"up to date","kind":"up_to_date"}`))
	}))
	defer srv.Close()
	f := benchFleet(b)
	var info protocol.Info
	f.Info(0, &info)
	c, err := client.New(client.Config{Endpoints: client.Endpoints{Updates: srv.URL + "/updates", Stats: srv.URL,
		Channel: srv.URL}, Connections: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var reply protocol.UpdateReply
	b.ReportAllocs()
	for b.Loop() {
		if res := c.Updates(b.Context(), &info, &reply); res.Err != nil || res.Status != 200 {
			b.Fatal(res.Err, res.Status)
		}
	}
}

func benchFleet(b *testing.B) *Fleet { return fleet(b, 1000) }
