package metrics

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/otasim/otasim/sim/results"
)

func TestAPIAndInterval(t *testing.T) {
	r := New(2, 1)
	for i := 1; i <= 100; i++ {
		r.API(Updates, i%2, time.Duration(i)*time.Millisecond, time.Millisecond, 200, results.OutcomeSuccess, "")
	}
	r.API(Updates, 0, 2*time.Hour, 2*time.Hour, 200, results.OutcomeSuccess, "") // beyond the range: clamped, counted
	// Failures are counted by outcome and cause, and their times kept
	// apart: a refused connection in 0.1 ms is not a fast reply.
	r.API(Updates, 0, 100*time.Microsecond, 100*time.Microsecond, 0, results.OutcomeNetworkError, "connection_refused")
	r.API(Updates, 1, 3*time.Millisecond, time.Millisecond, 503, results.OutcomeHTTPError, "http_503")
	s := r.APISummary([]string{"a", "b"})["updates"]
	if s.Count != 103 || s.Errors != 2 || s.ByStatus["0"] != 1 || s.ByStatus["503"] != 1 || s.ByStatus["200"] != 101 {
		t.Fatalf("counts %+v", s)
	}
	if s.Outcomes[results.OutcomeSuccess] != 101 || s.Outcomes[results.OutcomeNetworkError] != 1 || s.Outcomes[results.OutcomeHTTPError] != 1 ||
		s.Causes["connection_refused"] != 1 || s.Causes["http_503"] != 1 || math.Abs(s.ErrorRate-2.0/103) > 1e-12 {
		t.Errorf("outcomes %v causes %v rate %v", s.Outcomes, s.Causes, s.ErrorRate)
	}
	if s.P50Ms == nil || math.Abs(*s.P50Ms-51) > 0.1 || *s.MaxMs < 3_599_000 {
		t.Errorf("p50 %v max %v", s.P50Ms, s.MaxMs)
	}
	if s.Failed == nil || s.Failed.Count != 2 || s.Service.Count != 101 {
		t.Errorf("failed %+v service %+v", s.Failed, s.Service)
	}
	if r.Clamped() != 2 {
		t.Errorf("clamped %d, want 2", r.Clamped())
	}
	if s.BySegment["b"].Count != 51 || s.BySegment["a"].Count != 52 || s.BySegment["a"].Errors != 1 {
		t.Errorf("by segment %+v", s.BySegment)
	}
	iv := r.TakeInterval()
	if iv.API[Updates].Count != 101 || iv.Requests != 103 || iv.Failures != 2 {
		t.Errorf("interval %+v", iv)
	}
	if iv := r.TakeInterval(); iv.API[Updates].Count != 0 || iv.Requests != 0 {
		t.Errorf("interval not reset: %+v", iv)
	}
	// The progress interval is independent of the sample interval.
	if p := r.TakeProgress(); p[Updates].Count != 101 || p[Updates].P50 <= 0 || p[Updates].P50 > p[Updates].P99 {
		t.Errorf("progress %+v", p[Updates])
	}
	if p := r.TakeProgress(); p[Updates].Count != 0 {
		t.Errorf("progress interval not reset: %+v", p[Updates])
	}
}

func TestSuccessRate(t *testing.T) {
	r := New(2, 1)
	for range 10 {
		r.Attempt(0, "1.1.0")
	}
	for range 7 {
		r.Success(0, "1.1.0", time.Hour)
	}
	r.Failure(0, "1.1.0", "update_fail")
	r.Failure(0, "1.1.0", "checksum_fail")
	r.Attempt(1, "1.1.0")
	r.Attempt(1, "1.1.0")
	r.Abandon(1, "1.1.0")
	sr := r.SuccessRate([]string{"a", "b"})
	if sr.Attempts != 9 || sr.Successes != 7 || sr.InProgress != 2 || sr.Failures["update_fail"] != 1 {
		t.Fatalf("%+v", sr)
	}
	if math.Abs(sr.Overall-7.0/9) > 1e-9 || sr.Interval[0] >= sr.Overall || sr.Interval[1] <= sr.Overall {
		t.Errorf("rate %v interval %v", sr.Overall, sr.Interval)
	}
	if sr.BySegment["b"].InProgress != 1 || sr.ByBundle["1.1.0"].Successes != 7 {
		t.Errorf("by segment %+v by bundle %+v", sr.BySegment, sr.ByBundle)
	}
	it := r.InstallTime([]string{"a", "b"})
	if it["a"].Count != 7 || math.Abs(it["a"].P50-3600) > 4 {
		t.Errorf("install time %+v", it)
	}
}

func TestCDNAndHistograms(t *testing.T) {
	r := New(1, 2)
	r.Download(0, 5_000_000, 100*time.Millisecond, 2*time.Millisecond, time.Second, results.OutcomeSuccess, "")
	r.Download(1, 2_500_000, 100*time.Millisecond, 2*time.Millisecond, time.Second, results.OutcomeSuccess, "")
	r.Download(1, 2_500_000, 0, 0, 0, results.OutcomeHTTPError, "http_503")
	// A bundle under 1 MB has a time per download, none per 5 MB.
	r.Download(1, 200, 4*time.Millisecond, time.Millisecond, time.Second, results.OutcomeSuccess, "")
	c := r.CDN([]string{"wifi", "4g"})
	if c.Downloads != 3 || c.Failures != 1 || c.ByProfile["4g"].Failures != 1 || c.Causes["http_503"] != 1 ||
		c.Outcomes[results.OutcomeHTTPError] != 1 || math.Abs(c.ErrorRate-0.25) > 1e-12 {
		t.Fatalf("%+v", c)
	}
	if math.Abs(c.ByProfile["wifi"].MsPer5MB.P50-100) > 0.2 || math.Abs(c.ByProfile["4g"].MsPer5MB.P50-200) > 0.3 ||
		c.MsPer5MB.Count != 2 || c.MsPerDownload.Count != 3 {
		t.Errorf("per 5 MB: %+v", c.ByProfile)
	}
	r.API(Stats, 0, time.Millisecond, time.Millisecond, 200, results.OutcomeSuccess, "")
	hs, err := r.Histograms([]string{"a"}, []string{"wifi", "4g"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"api.stats.latency", "cdn.ms_per_5mb.profile.wifi", "cdn.ttfb.profile.4g"} {
		h, ok := hs.Histograms[name]
		if !ok {
			t.Fatalf("missing %s in %v", name, hs.Histograms)
		}
		d, err := h.Decode()
		if err != nil || d.TotalCount() != h.Count {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, ok := hs.Histograms["api.updates.latency"]; ok {
		t.Error("empty histogram exported")
	}
}

func BenchmarkRecordAPI(b *testing.B) {
	r := New(4, 1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.API(Updates, i&3, time.Duration(i%5000)*time.Microsecond, time.Millisecond, 200, results.OutcomeSuccess, "")
	}
}

// An endpoint whose every request failed has no latency: null, never 0.
func TestAPINoSuccess(t *testing.T) {
	r := New(1, 1)
	for range 3 {
		r.API(Updates, 0, time.Millisecond, time.Millisecond, 501, results.OutcomeHTTPError, "http_501")
	}
	s := r.APISummary([]string{"a"})["updates"]
	if s.MeanMs != nil || s.P95Ms != nil || s.Errors != 3 || s.ErrorRate != 1 || s.BySegment["a"].MeanMs != nil {
		t.Fatalf("%+v", s)
	}
}

func TestLossWatch(t *testing.T) {
	w := NewLossWatch(30*time.Second, 5)
	at := func(s float64) int64 { return int64(s * 1000) }
	w.Observe(at(1), true)
	// Failures for 29 s: not yet lost; a success resets the streak.
	for s := 2.0; s <= 31; s++ {
		if lost, _ := w.Observe(at(s), false); lost {
			t.Fatalf("lost at %v", s)
		}
	}
	w.Observe(at(31.5), true)
	// Then 40 s of failures: lost 30 s after the first.
	var lostAt float64
	for s := 32.0; s <= 72; s++ {
		if lost, _ := w.Observe(at(s), false); lost {
			lostAt = s
		}
	}
	if lostAt != 62 || !w.Lost() {
		t.Fatalf("lost at %v, lost now %v", lostAt, w.Lost())
	}
	if _, back := w.Observe(at(80), true); !back {
		t.Fatal("no recovery")
	}
	out := w.Outages()
	if len(out) != 1 || out[0].LostAtS != 32 || out[0].DetectedAtS != 62 || out[0].Failures != 41 || *out[0].RecoveredAtS != 80 {
		t.Fatalf("%+v", out)
	}
	// A quiet spell: two failures a minute apart are not an outage.
	q := NewLossWatch(30*time.Second, 5)
	q.Observe(0, false)
	if lost, _ := q.Observe(at(60), false); lost {
		t.Fatal("two failures made an outage")
	}
	// Batches (a load run's ticks) count every failure.
	b := NewLossWatch(30*time.Second, 5)
	b.ObserveBatch(at(1), 0, 100)
	if lost, _ := b.ObserveBatch(at(31), 0, 100); !lost {
		t.Fatal("batches not lost")
	}
}

// The live totals count every request by endpoint and outcome (downloads
// included, as in Requests), and the buckets put a value on a bound in
// that bound's bucket, as Prometheus' le does.
func TestTotals(t *testing.T) {
	r := New(2, 2)
	ok := results.OutcomeSuccess
	r.API(Updates, 0, 434*time.Millisecond, time.Millisecond, 200, ok, "")                             // on the 0.434 bound
	r.API(Updates, 1, 435*time.Millisecond, time.Millisecond, 200, ok, "")                             // just above
	r.API(Updates, 1, 2*time.Millisecond, time.Millisecond, 503, results.OutcomeHTTPError, "http_503") // not a latency
	r.API(Stats, 0, time.Millisecond, time.Millisecond, 0, results.OutcomeNetworkError, "connection_refused")
	r.API(Channel, 0, time.Millisecond, time.Millisecond, 200, results.OutcomeProtocolError, "invalid_json")
	r.API(Channel, 0, 2*time.Minute, 2*time.Minute, 200, ok, "") // above every bound
	r.Download(1, 5e6, 114*time.Millisecond, time.Millisecond, time.Second, ok, "")
	r.Download(1, 200_000, 10*time.Millisecond, time.Millisecond, time.Second, ok, "") // too small to count per 5 MB
	r.Download(0, 5e6, time.Second, time.Millisecond, time.Second, results.OutcomeNetworkError, "connection_reset")
	r.Lag(3 * time.Millisecond)
	r.Event(false)
	r.Event(true)
	r.Attempt(1, "1.0.1")
	r.Failure(1, "1.0.1", "update_fail")
	r.FailedLaunch(1, "1.0.1")
	r.Attempt(0, "1.0.1")
	r.Success(0, "1.0.1", time.Hour)

	var tot results.Totals
	r.Totals(&tot, []string{"a", "b"}, []string{"wifi", "3g"})
	want := map[string]results.OutcomeCounts{
		"updates":      {results.OutcomeSuccess: 2, results.OutcomeHTTPError: 1},
		"stats":        {results.OutcomeNetworkError: 1},
		"channel_self": {results.OutcomeSuccess: 1, results.OutcomeProtocolError: 1},
		"download":     {results.OutcomeSuccess: 2, results.OutcomeNetworkError: 1},
	}
	if !reflect.DeepEqual(tot.Requests, want) {
		t.Errorf("requests %v\nwant %v", tot.Requests, want)
	}
	var sum int64
	for _, m := range tot.Requests {
		for _, n := range m {
			sum += n
		}
	}
	if sum != r.Requests() {
		t.Errorf("requests by outcome sum to %d, Requests() is %d", sum, r.Requests())
	}
	if tot.Codes["updates"]["503"] != 1 || tot.Codes["stats"]["0"] != 1 {
		t.Errorf("codes %v", tot.Codes)
	}
	if tot.Causes["updates"]["http_503"] != 1 || tot.Causes["download"]["connection_reset"] != 1 || tot.Causes["channel_self"]["invalid_json"] != 1 {
		t.Errorf("causes %v", tot.Causes)
	}
	bounds := results.DurationBounds()
	at := slices.Index(bounds, 0.434)
	u := tot.Latency["updates"]
	// The failed request is no latency.
	if len(u.Counts) != len(bounds)+1 || u.Counts[at] != 1 || u.Counts[at+1] != 1 || u.Count() != 2 {
		t.Errorf("updates buckets %v (0.434 at %d)", u.Counts, at)
	}
	if math.Abs(u.Sum-0.869) > 1e-9 {
		t.Errorf("updates sum %v s, want 0.869", u.Sum)
	}
	if c := tot.Latency["channel_self"].Counts; c[len(c)-1] != 1 {
		t.Errorf("a value above every bound is not in the last slot: %v", c)
	}
	cdn := tot.CDN["3g"]
	if cdn.Bytes != 5_200_000 || cdn.Per5MB.Counts[slices.Index(bounds, 0.114)] != 1 || cdn.Per5MB.Count() != 1 ||
		cdn.Download.Count() != 2 || tot.CDN["wifi"].Per5MB.Count() != 0 {
		t.Errorf("cdn %+v", tot.CDN)
	}
	if tot.ScheduleLag.Count() != 1 || tot.Events != 2 || tot.LateEvents != 1 {
		t.Errorf("harness %+v events %d late %d", tot.ScheduleLag, tot.Events, tot.LateEvents)
	}
	b := tot.Updates["b"]["1.0.1"]
	if b.Attempts != 1 || b.Failures["update_fail"] != 1 || b.Rollbacks != 1 || tot.Updates["a"]["1.0.1"].Installs != 1 {
		t.Errorf("updates %+v", tot.Updates)
	}
	// A snapshot is a copy: what the recorder adds later is not in it.
	r.API(Updates, 0, time.Millisecond, time.Millisecond, 200, ok, "")
	if u.Count() != 2 {
		t.Error("the snapshot shares its counts with the recorder")
	}
}
