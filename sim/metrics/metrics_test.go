package metrics

import (
	"math"
	"testing"
	"time"
)

func TestAPIAndInterval(t *testing.T) {
	r := New(2, 1)
	for i := 1; i <= 100; i++ {
		r.API(Updates, i%2, time.Duration(i)*time.Millisecond, time.Millisecond, 200, false)
	}
	r.API(Updates, 0, 2*time.Hour, time.Millisecond, 0, true) // beyond the range: clamped, counted
	s := r.APISummary([]string{"a", "b"})["updates"]
	if s.Count != 101 || s.Errors != 1 || s.ByStatus["0"] != 1 || s.ByStatus["200"] != 100 {
		t.Fatalf("counts %+v", s)
	}
	if math.Abs(s.P50Ms-51) > 0.1 || s.MaxMs < 3_599_000 {
		t.Errorf("p50 %v max %v", s.P50Ms, s.MaxMs)
	}
	if r.Clamped() != 1 {
		t.Errorf("clamped %d, want 1", r.Clamped())
	}
	if s.BySegment["b"].Count != 50 || s.BySegment["a"].Count != 51 {
		t.Errorf("by segment %+v", s.BySegment)
	}
	iv := r.TakeInterval()
	if iv.API[Updates].Count != 101 || iv.Requests != 101 || iv.Failures != 1 {
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
	r.Download(0, 5_000_000, 100*time.Millisecond, 2*time.Millisecond, time.Second, true)
	r.Download(1, 2_500_000, 100*time.Millisecond, 2*time.Millisecond, time.Second, true)
	r.Download(1, 2_500_000, 0, 0, 0, false)
	c := r.CDN([]string{"wifi", "4g"})
	if c.Downloads != 2 || c.Failures != 1 || c.ByProfile["4g"].Failures != 1 {
		t.Fatalf("%+v", c)
	}
	if math.Abs(c.ByProfile["wifi"].MsPer5MB.P50-100) > 0.2 || math.Abs(c.ByProfile["4g"].MsPer5MB.P50-200) > 0.3 {
		t.Errorf("per 5 MB: %+v", c.ByProfile)
	}
	r.API(Stats, 0, time.Millisecond, time.Millisecond, 200, false)
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
		r.API(Updates, i&3, time.Duration(i%5000)*time.Microsecond, time.Millisecond, 200, false)
	}
}
