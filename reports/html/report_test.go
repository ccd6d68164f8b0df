package html

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otasim/otasim/reports/baseline"
	"github.com/otasim/otasim/reports/internal/fixture"
	"github.com/otasim/otasim/sim/results"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenSection is what the golden file keeps of each chart: its id, its
// words and its data (the ECharts option).
type goldenSection struct {
	ID     string          `json:"id"`
	Title  string          `json:"title"`
	Note   string          `json:"note"`
	Option json.RawMessage `json:"option"`
}

func sectionsOf(t *testing.T, d *Document) []goldenSection {
	t.Helper()
	var out []goldenSection
	for _, s := range d.Sections() {
		opt := s.Option()
		// The option is JavaScript (it may hold functions); keep it as a
		// JSON string when it is not JSON.
		raw := json.RawMessage(opt)
		if !json.Valid(raw) {
			b, _ := json.Marshal(opt)
			raw = b
		}
		out = append(out, goldenSection{ID: s.ID, Title: s.Title, Note: s.Note, Option: raw})
	}
	return out
}

func TestReportGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    fixture.Params
	}{
		{"steady", fixture.Params{Seed: 1}},
		{"rollback", fixture.Params{Seed: 2, Rollback: true, SuccessRate: 0.7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Report(fixture.Run(tc.p), Options{ECharts: []byte("/*echarts*/")})
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(sectionsOf(t, d), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("chart data differs from %s (run go test -update after checking the change)", path)
			}
		})
	}
}

// A run that delivered both ways compares them; one that delivered zips
// only has nothing to compare.
func TestReportDeliverySections(t *testing.T) {
	for _, tc := range []struct {
		p    fixture.Params
		want bool
	}{{fixture.Params{Seed: 3, Delta: true}, true}, {fixture.Params{Seed: 3}, false}} {
		d, err := Report(fixture.Run(tc.p), Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]*Section{}
		for _, s := range d.Sections() {
			got[s.ID] = s
		}
		for _, id := range []string{"delivery_bytes", "delivery_install"} {
			if (got[id] != nil) != tc.want {
				t.Errorf("delta %v: section %s present %v", tc.p.Delta, id, got[id] != nil)
			}
		}
		if tc.want && !strings.Contains(got["delivery_bytes"].Note, "saved") {
			t.Errorf("the bytes note does not say what was saved: %q", got["delivery_bytes"].Note)
		}
	}
}

func TestReportChartsPresent(t *testing.T) {
	d, err := Report(fixture.Run(fixture.Params{Seed: 3, Rollback: true}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, s := range d.Sections() {
		if ids[s.ID] {
			t.Errorf("chart id %s used twice", s.ID)
		}
		ids[s.ID] = true
	}
	for _, want := range []string{"adoption", "latency_updates", "latency_stats", "latency_channel_self", "latency_hdr",
		"cdn_profiles", "cdn_hdr", "success_segments", "success_bundles", "rollback", "throughput", "events", "active",
		"engagement_sessions", "engagement_duration", "engagement_errors"} {
		if !ids[want] {
			t.Errorf("chart %s missing", want)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	o := Options{ECharts: []byte("/*echarts*/")}
	var a, b bytes.Buffer
	if err := Render(&a, fixture.Run(fixture.Params{Seed: 4}), o); err != nil {
		t.Fatal(err)
	}
	if err := Render(&b, fixture.Run(fixture.Params{Seed: 4}), o); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same run rendered to different bytes")
	}
}

func TestRenderOfflineAndFallback(t *testing.T) {
	run := fixture.Run(fixture.Params{Seed: 5})
	var off, on bytes.Buffer
	if err := Render(&off, run, Options{ECharts: []byte("var echarts = {}; // </script> inside")}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(off.String(), "<script src=") || strings.Contains(off.String(), DefaultAssetsHost) {
		t.Error("offline report loads a script from the network")
	}
	if strings.Contains(off.String(), "// </script> inside") {
		t.Error("a </script> in the inlined build was not escaped")
	}
	if err := Render(&on, run, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(on.String(), `<script src="`+DefaultAssetsHost+EChartsFile+`">`) {
		t.Error("fallback report does not load ECharts from the asset host")
	}
	if !strings.Contains(on.String(), "needs the network") {
		t.Error("fallback report does not say it needs the network")
	}
}

func TestReportHeaderAndTargets(t *testing.T) {
	run := fixture.Run(fixture.Params{Seed: 6, SuccessRate: 0.5})
	run.Summary.Interrupted = true
	run.Summary.Harness.FellBehind = true
	h := &run.Summary.Harness
	h.Events, h.LateEvents, h.DroppedEvents, h.LateBoundMs, h.CPUSeconds, h.CPUUsPerRequest = 9000, 120, 34, 100, 41.5, 57.25
	run.Summary.SkippedActions = []results.ActionResult{{AtS: 7200, Action: "guard", Detail: "production", Outcome: "skipped", Error: "no admin API"}}
	run.Summary.Scenario = `<script>alert(1)</script>`
	var buf bytes.Buffer
	if err := Render(&buf, run, Options{ECharts: []byte("/**/")}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"interrupted", "fell behind", "Timeline action skipped at 2h:", "no admin API",
		`data-target="success_rate"`, "50.00%", "&gt;= 82.00%", `class="result fail"`, "&lt;script&gt;alert(1)&lt;/script&gt;",
		`<tr data-endpoint="updates"><td>/updates</td><td class="num">5000</td>`, "200: 5000", `id="segments"`,
		`<dd id="harness-schedule" class="fail">no: it fell behind</dd>`, "9000 handled, 120 late (more than 100", "34 dropped",
		"41.5 s, 57.2 µs a request"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Error("scenario name not escaped")
	}
}

func TestReportBadInput(t *testing.T) {
	if _, err := Report(nil, Options{}); err == nil {
		t.Error("nil run: want an error")
	}
	run := fixture.Run(fixture.Params{Seed: 7})
	run.Summary.Schema = "otasim.summary/v9"
	if _, err := Report(run, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("newer schema: got %v", err)
	}
	// A histogram that does not decode is reported in the header, not drawn.
	run = fixture.Run(fixture.Params{Seed: 7})
	run.Histograms.Histograms["api.updates.latency"] = results.Histogram{Unit: "us", Encoded: "not base64!"}
	var buf bytes.Buffer
	if err := Render(&buf, run, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "could not be read") {
		t.Error("a corrupt histogram is not reported")
	}
	// An empty run still renders every chart (empty, with a note).
	empty := &results.Run{Summary: results.Summary{Schema: results.SchemaSummary, RunID: "x", Scenario: "empty"}}
	buf.Reset()
	if err := Render(&buf, empty, Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestReportSizeLongRun: a run with very long series (two weeks sampled
// every minute; the number of devices does not change the size) stays far
// under 5 MB, ECharts inlined.
func TestReportSizeLongRun(t *testing.T) {
	run := fixture.Run(fixture.Params{Seed: 8, Samples: 20_000, Rollback: true})
	echarts := bytes.Repeat([]byte("x"), 1_100_000) // the size of echarts.min.js
	var buf bytes.Buffer
	if err := Render(&buf, run, Options{ECharts: echarts}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 5<<20 {
		t.Fatalf("report of a long run is %d bytes, want under 5 MB", buf.Len())
	}
	d, _ := Report(run, Options{})
	for _, s := range d.Sections() {
		if n := strings.Count(s.Option(), `{"value":[`); n > 600*6 {
			t.Errorf("chart %s keeps %d points", s.ID, n)
		}
	}
	t.Logf("report of a 20,000-sample run: %d bytes", buf.Len())
}

func TestDownsample(t *testing.T) {
	var ps []point
	for i := range 10_000 {
		y := math.Sin(float64(i) / 300)
		if i == 4321 {
			y = 50 // a spike must survive
		}
		ps = append(ps, point{float64(i), y})
	}
	got := downsample(ps, 500)
	if len(got) != 500 {
		t.Fatalf("got %d points, want 500", len(got))
	}
	if got[0] != ps[0] || got[len(got)-1] != ps[len(ps)-1] {
		t.Error("first or last point lost")
	}
	spike := false
	for i, p := range got {
		if p.y == 50 {
			spike = true
		}
		if i > 0 && p.x <= got[i-1].x {
			t.Fatal("points out of order")
		}
	}
	if !spike {
		t.Error("the spike was lost")
	}
	if short := downsample(ps[:10], 500); len(short) != 10 {
		t.Error("a short series was changed")
	}
}

func TestLocateECharts(t *testing.T) {
	dir := t.TempDir()
	if p, err := LocateECharts("", dir); err != nil || p != "" {
		t.Errorf("nothing there: got %q, %v", p, err)
	}
	if _, err := LocateECharts(filepath.Join(dir, "missing.js")); err == nil {
		t.Error("explicit missing file: want an error")
	}
	p := filepath.Join(dir, CacheRelPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("var echarts;"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := LocateECharts("", "", t.TempDir(), dir); err != nil || got != p {
		t.Errorf("cache: got %q, %v; want %q", got, err, p)
	}
	b, err := ReadECharts(p)
	if err != nil || string(b) != "var echarts;" {
		t.Errorf("read: %q %v", b, err)
	}
}

func FuzzRenderSummary(f *testing.F) {
	b, _ := json.Marshal(fixture.Run(fixture.Params{Seed: 9, Samples: 10}).Summary)
	f.Add(b)
	f.Add([]byte(`{"schema":"otasim.summary/v1","targets":[{"name":"a","value":null,"unit":"s"}],"timeline":[{"at_s":-1}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s results.Summary
		if json.Unmarshal(data, &s) != nil {
			return
		}
		run := fixture.Run(fixture.Params{Seed: 9, Samples: 10})
		run.Summary = s
		var buf bytes.Buffer
		_ = Render(&buf, run, Options{ECharts: []byte("/**/")})
	})
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{seconds(7200), "2h"},
		{seconds(5400), "1h30m"},
		{seconds(3723), "1h2m3s"},
		{seconds(12.2), "12s"},
		{seconds(0.25), "250ms"},
		{formatNumber(0.82, "ratio"), "82.00%"},
		{formatNumber(434, "ms"), "434.0 ms"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// BenchmarkRenderLongRun renders the report of a run with 40,000 samples
// per series (a month sampled every minute), ECharts inlined.
func BenchmarkRenderLongRun(b *testing.B) {
	run := fixture.Run(fixture.Params{Seed: 8, Samples: 40_000, Rollback: true})
	o := Options{ECharts: bytes.Repeat([]byte("x"), 1_100_000)}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Render(&buf, run, o); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n), "bytes/report")
}

func TestReportBaselineSection(t *testing.T) {
	base := fixture.Run(fixture.Params{Seed: 1})
	cur := fixture.Run(fixture.Params{Seed: 1, LatencyMs: 200})
	v := baseline.Check(&base.Summary, &cur.Summary, nil)
	var with, without bytes.Buffer
	if err := Render(&with, cur, Options{ECharts: []byte("/**/"), Baseline: &v}); err != nil {
		t.Fatal(err)
	}
	if err := Render(&without, cur, Options{ECharts: []byte("/**/")}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="baseline"`, "REGRESSED", `data-metric="api.updates.mean_ms"`, base.Summary.RunID} {
		if !strings.Contains(with.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(without.String(), `id="baseline"`) {
		t.Error("a baseline section without a baseline")
	}
}
