package load

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/otasim/otasim/internal/sabotage"
	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/population"
	"github.com/otasim/otasim/sim/results"
)

// updatesServer decodes every POST /updates over a real socket and counts
// the devices it saw; block, when set, holds the first requests until it
// is closed.
type updatesServer struct {
	mu      sync.Mutex
	devices map[string]int
	bad     int
	block   chan struct{}
	blocked int
}

func (s *updatesServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in protocol.Info
	err := json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	if err != nil || r.Method != http.MethodPost || in.DeviceID == "" || in.AppID != "com.example.app" ||
		in.VersionName != protocol.Builtin || in.PluginVersion != protocol.PluginVersion {
		s.bad++
	}
	s.devices[in.DeviceID]++
	hold := s.block != nil && s.blocked < 2
	if hold {
		s.blocked++
	}
	s.mu.Unlock()
	if hold {
		<-s.block
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"error":"no_new_version_available","message":"up to date","kind":"up_to_date"}`))
}

func fleet(t testing.TB, devices int) *Fleet {
	t.Helper()
	sc, err := scenarios.Load("ci-smoke")
	if err != nil {
		t.Fatal(err)
	}
	pop, err := population.New(sc, 7, devices)
	if err != nil {
		t.Fatal(err)
	}
	return NewFleet(pop, sc.App.ID)
}

func newSender(t *testing.T, url string, conns int) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoints: client.Endpoints{Updates: url + "/updates", Stats: url + "/stats",
		Channel: url + "/channel_self"}, Connections: conns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// A real run over loopback: every scheduled request reaches the server
// once, with a fleet device's info object, and is in the histograms.
func TestRunOverHTTP(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"constant", Config{Profile: ProfileConstant, Rate: 400, Duration: 250 * time.Millisecond}},
		{"ramping", Config{Profile: ProfileRamping, Rate: 100, Stages: []Stage{{700, 250 * time.Millisecond}}}},
		{"max", Config{Profile: ProfileMax, Duration: 100 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runOverHTTP(t, tt.cfg) })
	}
}

func runOverHTTP(t *testing.T, cfg Config) {
	us := &updatesServer{devices: map[string]int{}}
	srv := httptest.NewServer(us)
	defer srv.Close()
	cfg.Devices, cfg.Workers = fleet(t, 20), 4
	cfg.Sender = newSender(t, srv.URL, 4)
	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	var got int64
	for _, n := range us.devices {
		got += int64(n)
	}
	if got != res.Sent || res.Done != res.Sent || res.Sent == 0 {
		t.Errorf("server got %d requests, generator sent %d, done %d", got, res.Sent, res.Done)
	}
	if cfg.Profile != ProfileMax && (res.Sent+res.Dropped != res.Scheduled || res.Due != res.Scheduled) {
		t.Errorf("scheduled %d, due %d, sent %d, dropped %d", res.Scheduled, res.Due, res.Sent, res.Dropped)
	}
	if us.bad > 0 {
		t.Errorf("%d requests were not a fleet device's check", us.bad)
	}
	// Open profiles send device n % 20 for request n; max's workers
	// each take every fourth device at their own pace.
	if want := min(int(res.Sent), 20); len(us.devices) > want || (cfg.Profile != ProfileMax && len(us.devices) != want) {
		t.Errorf("%d devices checked, want %d", len(us.devices), want)
	}
	if res.Latency.TotalCount() != res.Sent || res.Service.TotalCount() != res.Sent || res.ByStatus[200] != res.Sent || res.Failed != 0 {
		t.Errorf("histograms %d/%d, status %v, failed %d for %d sent", res.Latency.TotalCount(), res.Service.TotalCount(), res.ByStatus, res.Failed, res.Sent)
	}
	var perSec int64
	for _, s := range res.PerSecond {
		perSec += s.Sent
	}
	if perSec != res.Sent {
		t.Errorf("per-second sends add up to %d, want %d", perSec, res.Sent)
	}
}

// A server that holds its first two requests keeps both workers busy while
// the schedule goes on: the requests due meanwhile are sent late, and their
// latency from the intended time includes the wait.
func TestRunOverHTTPLate(t *testing.T) {
	us := &updatesServer{devices: map[string]int{}, block: make(chan struct{})}
	srv := httptest.NewServer(us)
	defer srv.Close()
	defer func() {
		select {
		case <-us.block:
		default:
			close(us.block)
		}
	}()
	var once sync.Once
	cfg := Config{Profile: ProfileConstant, Rate: 200, Duration: 500 * time.Millisecond, Sender: newSender(t, srv.URL, 2),
		Devices: fleet(t, 10), Workers: 2, LateBound: 50 * time.Millisecond, ProgressEvery: 5 * time.Millisecond,
		Progress: func(p Progress) {
			// Request 49 is due at 245 ms: release the server after it.
			if p.Due >= 50 {
				once.Do(func() { close(us.block) })
			}
		}}
	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Requests 2 to 38 were due by 190 ms and could not leave before
	// 245 ms: at least 37 are late by more than 50 ms.
	if res.Late < 37 {
		t.Errorf("late %d, want at least 37", res.Late)
	}
	if res.Sent+res.Dropped != 100 || res.Latency.TotalCount() != res.Sent {
		t.Errorf("sent %d, dropped %d, latencies %d; want sent + dropped = 100", res.Sent, res.Dropped, res.Latency.TotalCount())
	}
	// The final snapshot counts what the result does, and its buckets
	// (the exported histogram's) hold the 37 late requests above 50 ms.
	f := res.Final
	if f.Outcomes != res.Outcomes || f.OK != res.Sent || f.Latency.Count() != res.Latency.TotalCount() ||
		f.Lag.Count() != res.Lag.TotalCount() || f.InFlight != 0 {
		t.Errorf("final snapshot %+v, result outcomes %v, %d latencies", f, res.Outcomes, res.Latency.TotalCount())
	}
	bounds := results.DurationBounds()
	var above int64
	for i, n := range f.Latency.Counts {
		if i > 0 && bounds[i-1] >= 0.05 {
			above += n
		}
	}
	if above < 37 {
		t.Errorf("%d latencies above 50 ms in the buckets %v, want at least 37", above, f.Latency.Counts)
	}
	if mean := f.Latency.Sum / float64(f.Latency.Count()); math.Abs(mean-res.Latency.Mean()/1e6) > 0.001 {
		t.Errorf("buckets' mean %.4f s, histogram's %.4f s", mean, res.Latency.Mean()/1e6)
	}
	// Request 2, due at 10 ms, left after 245 ms.
	if got := time.Duration(res.Latency.Max()) * time.Microsecond; got < 235*time.Millisecond {
		t.Errorf("latency max %v, want at least 235 ms", got)
	}
	if sum := res.Summary(); !sum.Saturated {
		t.Errorf("not flagged saturated: %+v", sum.Reasons)
	}
}

// A load run against a failing server counts every request by outcome
// and keeps the failures out of the latencies.
func TestRunOverHTTPFailures(t *testing.T) {
	tests := []struct {
		name    string
		base    func(t testing.TB) string
		outcome results.Outcome
		cause   string
	}{
		{"501", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Status(501)) }, results.OutcomeHTTPError, "http_501"},
		{"garbage", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Body("text/plain", "nope")) },
			results.OutcomeProtocolError, client.CauseInvalid},
		{"wrong shape", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Body("application/json", "{}")) },
			results.OutcomeProtocolError, client.CauseShape},
		{"refused", sabotage.Refused, results.OutcomeNetworkError, client.CauseRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base(t)
			cfg := Config{Profile: ProfileConstant, Rate: 200, Duration: 100 * time.Millisecond, Devices: fleet(t, 5), Workers: 2,
				Sender: newSender(t, base, 2)}
			res, err := Run(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent == 0 || res.Failed != res.Done || res.Outcomes[tt.outcome] != res.Done || res.Causes[tt.cause] != res.Done {
				t.Errorf("sent %d, done %d, failed %d, outcomes %v, causes %v", res.Sent, res.Done, res.Failed, res.Outcomes, res.Causes)
			}
			if res.Latency.TotalCount() != 0 || res.FailedTime.TotalCount() != res.Done {
				t.Errorf("latency holds %d, failed %d: a failure is never a fast reply", res.Latency.TotalCount(), res.FailedTime.TotalCount())
			}
		})
	}
}
