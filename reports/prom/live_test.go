package prom_test

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/otasim/otasim/reports/internal/realrun"
	"github.com/otasim/otasim/sim/results"
)

// scraped is one scrape: every sample by series (name and sorted labels;
// histograms give their _count and _sum).
type scraped map[string]float64

func scrapeOnce(url string) (scraped, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		return nil, err
	}
	out := scraped{}
	for name, mf := range mfs {
		for _, m := range mf.Metric {
			key := seriesKey(name, m.Label)
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[seriesKey(name+"_count", m.Label)] = float64(m.Histogram.GetSampleCount())
				out[seriesKey(name+"_sum", m.Label)] = m.Histogram.GetSampleSum()
			}
		}
	}
	return out, nil
}

func seriesKey(name string, labels []*dto.LabelPair) string {
	parts := make([]string, 0, len(labels))
	for _, l := range labels {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// sum adds the samples of a series name whose labels include every
// name=value of match.
func (s scraped) sum(name string, match ...string) float64 {
	var v float64
	for k, x := range s {
		if !strings.HasPrefix(k, name+"{") {
			continue
		}
		ok := true
		for _, m := range match {
			ok = ok && (strings.Contains(k, "{"+m+",") || strings.Contains(k, ","+m+",") ||
				strings.Contains(k, ","+m+"}") || strings.Contains(k, "{"+m+"}"))
		}
		if ok {
			v += x
		}
	}
	return v
}

// TestMetricsLiveRun: `otasim run ci-smoke --metrics-addr` scraped while
// it runs: the series are there during the run, counters never go down
// from one scrape to the next, and the values once the run has finished
// are those of summary.json and histograms.json.
func TestMetricsLiveRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run: not in -short")
	}
	dir := filepath.Join(t.TempDir(), "run")
	p := realrun.Start(t, nil, "run", "ci-smoke", "--quiet", "--no-history", "--out", dir,
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "2m")
	addr := p.WaitFor(t, regexp.MustCompile(`metrics: http://(127\.0\.0\.1:\d+)/metrics`), 2*time.Minute)[1]
	url := "http://" + addr + "/metrics"

	var last scraped
	live := 0 // scrapes during the run that saw requests
	counters := regexp.MustCompile(`^otasim_\w+(_total|_count|_sum)\{`)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		s, err := scrapeOnce(url)
		if err != nil {
			t.Fatalf("scrape: %v\n%s", err, p.Output())
		}
		for k, v := range s {
			if counters.MatchString(k) && !strings.HasPrefix(k, "otasim_target") && v < last[k] {
				t.Errorf("%s went down: %v then %v", k, last[k], v)
			}
		}
		last = s
		if s.sum("otasim_run_finished") == 1 {
			break
		}
		if s.sum("otasim_requests_total") > 0 {
			live++
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish:\n%s", p.Output())
		}
		time.Sleep(100 * time.Millisecond) // a poll, not an assertion
	}
	if code := p.Wait(); code != 0 && code != 3 && code != 4 { // the verdict is not this test's
		t.Fatalf("exit %d\n%s", code, p.Output())
	}
	if live < 2 {
		t.Errorf("%d scrapes during the run saw requests, want at least 2", live)
	}
	run, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkFinal(t, last, run)
}

// checkFinal compares the final scrape with the run folder.
func checkFinal(t *testing.T, s scraped, run *results.Run) {
	t.Helper()
	sum := &run.Summary
	eq := func(what string, got float64, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: scraped %v, summary %v", what, got, want)
		}
	}
	eq("requests", s.sum("otasim_requests_total"), float64(sum.Harness.Requests))
	for ep, e := range sum.API {
		eq(ep+" requests", s.sum("otasim_requests_total", "endpoint="+ep), float64(e.Count))
		eq(ep+" failed", s.sum("otasim_requests_total", "endpoint="+ep)-s.sum("otasim_requests_total", "endpoint="+ep, "outcome=success"),
			float64(e.Errors))
		for code, n := range e.ByStatus {
			eq(ep+" code "+code, s.sum("otasim_responses_total", "endpoint="+ep, "code="+code), float64(n))
		}
		h := run.Histograms.Histograms["api."+ep+".latency"]
		eq(ep+" latency count", s.sum("otasim_request_duration_seconds_count", "endpoint="+ep), float64(h.Count))
		if e.MeanMs != nil { // null when no reply succeeded
			mean := s.sum("otasim_request_duration_seconds_sum", "endpoint="+ep) / math.Max(1, float64(h.Count)) * 1e3
			eq(ep+" mean", mean, roundTo(*e.MeanMs, mean))
		}
		for o, n := range e.Outcomes {
			eq(ep+" "+results.Outcome(o).String(), s.sum("otasim_requests_total", "endpoint="+ep, "outcome="+results.Outcome(o).String()), float64(n))
		}
		for cause, n := range e.Causes {
			eq(ep+" cause "+cause, s.sum("otasim_request_failures_total", "endpoint="+ep, "cause="+cause), float64(n))
		}
	}
	eq("downloads", s.sum("otasim_requests_total", "endpoint=download"), float64(sum.CDN.Downloads+sum.CDN.Failures))
	eq("downloads ok", s.sum("otasim_cdn_download_duration_seconds_count"), float64(sum.CDN.Downloads))
	eq("downloads per 5 MB", s.sum("otasim_cdn_duration_per_5mb_seconds_count"), float64(sum.CDN.MsPer5MB.Count))
	eq("cdn bytes", s.sum("otasim_cdn_bytes_total"), float64(sum.CDN.Bytes))
	eq("installs", s.sum("otasim_update_installs_total"), float64(sum.SuccessRate.Successes))
	for action, n := range sum.SuccessRate.Failures {
		eq("failures "+action, s.sum("otasim_update_failures_total", "action="+action), float64(n))
	}
	if a := s.sum("otasim_update_attempts_total"); a < float64(sum.SuccessRate.Attempts) {
		t.Errorf("attempts %v < the summary's ended attempts %d", a, sum.SuccessRate.Attempts)
	}
	for seg, ca := range sum.Adoption.BySegment {
		eq(seg+" active", s.sum("otasim_active_devices", "segment="+seg), float64(ca.ActiveDevices))
		eq(seg+" adoption", s.sum("otasim_adoption_ratio", "segment="+seg, "bundle="+sum.Adoption.Bundle), ca.FinalShare)
	}
	eq("active", s.sum("otasim_active_devices"), float64(sum.Adoption.ActiveDevices))
	eq("events", s.sum("otasim_events_total"), float64(sum.Harness.Events))
	eq("late events", s.sum("otasim_late_events_total"), float64(sum.Harness.LateEvents))
	eq("dropped events", s.sum("otasim_dropped_events_total"), float64(sum.Harness.DroppedEvents))
	eq("lag count", s.sum("otasim_schedule_lag_seconds_count"), float64(run.Histograms.Histograms["schedule_lag"].Count))
	eq("virtual time", s.sum("otasim_virtual_time_seconds"), sum.VirtualSeconds)
	eq("devices", s.sum("otasim_devices"), float64(sum.Devices))
	eq("verdict "+string(sum.Verdict), s.sum("otasim_run_verdict", "verdict="+string(sum.Verdict)), 1)
	eq("verdicts", s.sum("otasim_run_verdict"), 1)
	for _, tr := range sum.Targets {
		pass := 0.0
		if tr.Status == results.StatusPass {
			pass = 1
		}
		eq("target "+tr.Name+" passing", s.sum("otasim_target_passing", "target="+tr.Name), pass)
		eq("target "+tr.Name+" "+string(tr.Status), s.sum("otasim_target_status", "target="+tr.Name, "status="+string(tr.Status)), 1)
		if tr.Value != nil {
			v := *tr.Value
			if tr.Unit == "ms" {
				v /= 1e3
			}
			eq("target "+tr.Name+" value", s.sum("otasim_target_value", "target="+tr.Name), v)
		}
	}
	if s.sum("otasim_run_info", "run_id="+sum.RunID, "scenario="+sum.Scenario, "shard=all") != 1 {
		t.Errorf("no run_info of run %s", sum.RunID)
	}
}

// roundTo is want when got is within the HDR histogram's precision of it
// (three significant digits: 0.1%), so the comparison allows that and
// no more.
func roundTo(want, got float64) float64 {
	if math.Abs(got-want) <= 1e-3*math.Abs(want)+1e-6 {
		return got
	}
	return want
}

// TestMetricsLiveLoadRun: a load-profile scenario exports the series a
// load test has, scraped while it runs, and ends with the run folder's
// values, as a fleet run does (checkFinal).
func TestMetricsLiveLoadRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run: not in -short")
	}
	dir := t.TempDir()
	scenario := filepath.Join(dir, "load.yaml")
	err := os.WriteFile(scenario, []byte(`name: load-metrics
app:
  id: com.example.app
fleet:
  devices: 50
  segments:
    - name: all
      share: 1
run:
  duration: 1h
  workers: 4
load:
  profile: constant
  rate: 200
  duration: 3s
targets:
  disable: [adoption, cdn, success_rate, cdn_errors]
  extra:
    - {metric: api.updates.p99_ms, max: 1500}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	p := realrun.Start(t, nil, "run", scenario, "--quiet", "--no-history", "--out", out,
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "2m")
	addr := p.WaitFor(t, regexp.MustCompile(`metrics: http://(127\.0\.0\.1:\d+)/metrics`), 2*time.Minute)[1]
	url := "http://" + addr + "/metrics"
	var last scraped
	live := 0
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s, err := scrapeOnce(url)
		if err != nil {
			t.Fatalf("scrape: %v\n%s", err, p.Output())
		}
		last = s
		if s.sum("otasim_run_finished") == 1 {
			break
		}
		if s.sum("otasim_requests_total", "endpoint=updates") > 0 && s.sum("otasim_request_duration_seconds_count") > 0 {
			live++
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish:\n%s", p.Output())
		}
		time.Sleep(100 * time.Millisecond) // a poll, not an assertion
	}
	// The verdict is not this test's: on a loaded machine the generator
	// falls behind and the run is rightly INCONCLUSIVE (exit 4).
	if code := p.Wait(); code != 0 && code != 3 && code != 4 {
		t.Fatalf("exit %d\n%s", code, p.Output())
	}
	if live < 2 {
		t.Errorf("%d scrapes during the run saw requests and latencies, want at least 2", live)
	}
	run, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if run.Summary.Load == nil || run.Summary.Harness.Events != 600 {
		t.Fatalf("not the load run's summary: load %+v, events %d", run.Summary.Load, run.Summary.Harness.Events)
	}
	checkFinal(t, last, run)
}
