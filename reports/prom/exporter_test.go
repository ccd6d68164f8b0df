package prom

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/otasim/otasim/sim/results"
)

func snapshot() results.Progress {
	v := 0.0009
	bounds := len(results.DurationBounds()) + 1
	lat := make([]int64, bounds)
	lat[0], lat[9] = 90, 10 // ≤ 1 ms and ≤ 434 ms
	return results.Progress{VirtualS: 3600, DurationS: 21600, Devices: 500, InFlight: 4, Bundle: "1.0.1",
		Totals: &results.Totals{
			Requests: map[string]results.OutcomeCounts{"updates": {results.OutcomeSuccess: 95, results.OutcomeHTTPError: 5},
				"download": {results.OutcomeSuccess: 7}},
			Causes:  map[string]map[string]int64{"updates": {"http_503": 5}},
			Codes:   map[string]map[string]int64{"updates": {"200": 95, "503": 5}},
			Latency: map[string]results.Buckets{"updates": {Counts: lat, Sum: 1.2}},
			Service: map[string]results.Buckets{"updates": {Counts: lat, Sum: 1.1}},
			CDN: map[string]results.CDNTotals{"wifi": {Bytes: 7 << 20, Download: results.Buckets{Counts: lat, Sum: 0.2},
				Per5MB: results.Buckets{Counts: lat, Sum: 0.3}}},
			Active:  map[string]int64{"beta": 50, "regular": 0},
			Running: map[string]map[string]int64{"beta": {"1.0.1": 40, "builtin": 10}, "regular": {"1.0.1": 0}},
			Updates: map[string]map[string]results.UpdateTotals{"beta": {"1.0.1": {Attempts: 45, Installs: 40,
				Failures: map[string]int64{"download_fail": 2}, Rollbacks: 1}}},
			Events: 1000, LateEvents: 3, Backlog: 2,
			Targets: []results.TargetResult{
				{Name: "api", Metric: "api.updates.mean_ms", Threshold: 434, Comparison: "<=", Value: &v, Unit: "ms", Pass: true,
					Status: results.StatusPass},
				{Name: "adoption", Metric: "adoption.time_to_95_s", Threshold: 21600, Comparison: "<=", Unit: "s",
					Status: results.StatusInconclusive},
			},
		}}
}

// scrape reads the exposition the handler serves.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("parse the exposition: %v\n%s", err, b)
	}
	return mfs
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		for i := 0; i+1 < len(want); i += 2 {
			if !slices.ContainsFunc(m.Label, func(l *dto.LabelPair) bool { return l.GetName() == want[i] && l.GetValue() == want[i+1] }) {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestExporter(t *testing.T) {
	x := New(Run{ID: "r1", Scenario: "ci-smoke"})
	mfs := scrape(t, x.Handler())
	if v, ok := value(t, mfs, "otasim_run_info", "run_id", "r1", "scenario", "ci-smoke", "shard", "all"); !ok || v != 1 {
		t.Errorf("before the first snapshot: run_info %v %v", v, ok)
	}
	if _, ok := mfs["otasim_requests_total"]; ok {
		t.Error("requests before the first snapshot")
	}
	x.Publish(snapshot())
	mfs = scrape(t, x.Handler())
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"otasim_run_info", []string{"judged_bundle", "1.0.1"}, 1},
		{"otasim_run_finished", nil, 0},
		{"otasim_virtual_time_seconds", nil, 3600},
		{"otasim_virtual_duration_seconds", nil, 21600},
		{"otasim_devices", nil, 500},
		{"otasim_in_flight_requests", nil, 4},
		{"otasim_backlog_requests", nil, 2},
		{"otasim_requests_total", []string{"endpoint", "updates", "outcome", "http_error"}, 5},
		{"otasim_requests_total", []string{"endpoint", "download", "outcome", "success"}, 7},
		{"otasim_responses_total", []string{"endpoint", "updates", "code", "503"}, 5},
		{"otasim_request_failures_total", []string{"endpoint", "updates", "cause", "http_503"}, 5},
		{"otasim_cdn_download_duration_seconds", []string{"profile", "wifi"}, 100},
		{"otasim_target_status", []string{"target", "api", "status", "pass"}, 1},
		{"otasim_target_status", []string{"target", "api", "status", "fail"}, 0},
		{"otasim_target_status", []string{"target", "adoption", "status", "inconclusive"}, 1},
		{"otasim_target_lost", nil, 0},
		{"otasim_request_duration_seconds", []string{"endpoint", "updates"}, 100},
		{"otasim_request_service_duration_seconds", []string{"endpoint", "updates"}, 100},
		{"otasim_cdn_duration_per_5mb_seconds", []string{"profile", "wifi"}, 100},
		{"otasim_cdn_bytes_total", []string{"profile", "wifi"}, 7 << 20},
		{"otasim_active_devices", []string{"segment", "beta"}, 50},
		{"otasim_bundle_active_devices", []string{"segment", "beta", "bundle", "builtin"}, 10},
		{"otasim_adoption_ratio", []string{"segment", "beta", "bundle", "1.0.1"}, 0.8},
		{"otasim_adoption_ratio", []string{"segment", "regular", "bundle", "1.0.1"}, 0}, // no active device: 0, not NaN
		{"otasim_update_attempts_total", []string{"segment", "beta"}, 45},
		{"otasim_update_installs_total", []string{"segment", "beta"}, 40},
		{"otasim_update_failures_total", []string{"action", "download_fail"}, 2},
		{"otasim_update_rollbacks_total", []string{"bundle", "1.0.1"}, 1},
		{"otasim_events_total", nil, 1000},
		{"otasim_late_events_total", nil, 3},
		{"otasim_dropped_events_total", nil, 0},
		{"otasim_target_value", []string{"target", "api"}, 0.0009e-3}, // ms in seconds
		{"otasim_target_threshold", []string{"target", "api"}, 0.434},
		{"otasim_target_passing", []string{"target", "api"}, 1},
		{"otasim_target_passing", []string{"target", "adoption"}, 0},
		{"otasim_target_threshold", []string{"target", "adoption"}, 21600},
	} {
		got, ok := value(t, mfs, c.name, c.labels...)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if _, ok := value(t, mfs, "otasim_target_value", "target", "adoption"); ok {
		t.Error("a target without a value has a value series")
	}
	h := mfs["otasim_request_duration_seconds"].Metric[0].Histogram
	for _, b := range h.Bucket {
		want := uint64(90)
		if b.GetUpperBound() >= 0.434 {
			want = 100
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	if h.GetSampleSum() != 1.2 {
		t.Errorf("sum %v", h.GetSampleSum())
	}
	if _, ok := value(t, mfs, "process_cpu_seconds_total", "run_id", "r1", "shard", "all"); !ok {
		t.Error("no process metrics with the run's labels")
	}
	for name, mf := range mfs {
		for _, m := range mf.Metric {
			if !slices.ContainsFunc(m.Label, func(l *dto.LabelPair) bool { return l.GetName() == "run_id" && l.GetValue() == "r1" }) {
				t.Errorf("%s%v lacks the run's labels", name, m.Label)
			}
		}
	}
	if _, ok := mfs["otasim_run_verdict"]; ok {
		t.Error("a verdict before the end")
	}
	final := snapshot()
	final.Totals.Verdict = results.VerdictFail
	lost := 1800.0
	final.TargetLostAtS = &lost
	x.Publish(final)
	x.Finish()
	mfs = scrape(t, x.Handler())
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"otasim_run_finished", nil, 1},
		{"otasim_run_verdict", []string{"verdict", "FAIL"}, 1},
		{"otasim_run_verdict", []string{"verdict", "PASS"}, 0},
		{"otasim_target_lost", nil, 1},
	} {
		if got, ok := value(t, mfs, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("at the end: %s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
}

// Every series the exporter serves is in the catalogue (and so in the
// documentation), and follows Prometheus' naming conventions as its own
// linter checks them.
func TestCatalogue(t *testing.T) {
	x := New(Run{ID: "r1", Scenario: "s"})
	full := snapshot()
	full.Totals.Verdict = results.VerdictPass // served once the run has ended
	x.Publish(full)
	problems, err := testutil.CollectAndLint(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	names := map[string]bool{}
	for _, s := range Catalogue() {
		if names[s.Name] {
			t.Errorf("%s twice in the catalogue", s.Name)
		}
		names[s.Name] = true
	}
	// A pedantic registry checks that what is collected is what is
	// described.
	ped := prometheus.NewPedanticRegistry()
	ped.MustRegister(x)
	if _, err := ped.Gather(); err != nil {
		t.Errorf("pedantic gather: %v", err)
	}
	mfs, err := x.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "otasim_") {
			continue // process_* and go_*
		}
		served[mf.GetName()] = true
		if !names[mf.GetName()] {
			t.Errorf("%s served but not in the catalogue", mf.GetName())
		}
	}
	for n := range names {
		if !served[n] {
			t.Errorf("%s in the catalogue, not served from a full snapshot", n)
		}
	}
}

// The endpoint stops when its context ends; a scrape after Finish ends
// WaitScrape.
func TestServeAndWaitScrape(t *testing.T) {
	x := New(Run{ID: "r1", Scenario: "s"})
	x.Publish(snapshot())
	srv := httptest.NewServer(x.Handler())
	defer srv.Close()
	// Read to the end: the chunked body ends only once the handler has
	// returned, so the scrape has been counted (closed unread, the
	// handler may still be writing when the test counts).
	get := func() {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get()
	x.Finish()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	x.WaitScrape(ctx) // returns at once: ctx is done
	done := make(chan struct{})
	go func() {
		x.WaitScrape(context.Background())
		close(done)
	}()
	get()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("WaitScrape did not return after a scrape of the final values")
	}
	if x.Scrapes() != 2 {
		t.Errorf("scrapes %d, want 2", x.Scrapes())
	}
}

// docs/reports.md lists every series of the catalogue.
func TestCatalogueDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "reports.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Catalogue() {
		if !strings.Contains(string(b), "| `"+s.Name+"` | "+s.Kind+" |") {
			t.Errorf("docs/reports.md does not list %s (%s) in its table of series", s.Name, s.Kind)
		}
	}
}
