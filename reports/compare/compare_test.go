package compare

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/otasim/otasim/reports/baseline"
	"github.com/otasim/otasim/reports/html"
	"github.com/otasim/otasim/reports/internal/browsertest"
	"github.com/otasim/otasim/reports/internal/fixture"
)

func row(c *Comparison, metric string) *Row {
	for i := range c.Rows {
		if c.Rows[i].Metric == metric {
			return &c.Rows[i]
		}
	}
	return nil
}

func TestCompare(t *testing.T) {
	a := fixture.Run(fixture.Params{Seed: 1, LatencyMs: 40})
	b := fixture.Run(fixture.Params{Seed: 1, LatencyMs: 80, SuccessRate: 0.9, Rollback: true})
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	r := row(c, "api.updates.mean_ms")
	if r == nil || r.Delta == nil || r.DeltaPct == nil {
		t.Fatalf("no delta for api.updates.mean_ms: %+v", r)
	}
	if want := *b.Summary.API["updates"].MeanMs - *a.Summary.API["updates"].MeanMs; *r.Delta != want {
		t.Errorf("delta %v, want %v", *r.Delta, want)
	}
	if r.Verdict != baseline.StatusRegressed {
		t.Errorf("verdict %s, want REGRESSED", r.Verdict)
	}
	if r := row(c, "success_rate.overall"); r == nil || r.Verdict != baseline.StatusRegressed {
		t.Errorf("success rate: %+v", r)
	}
	if r := row(c, "rollback.time_to_95_s"); r == nil || r.A != nil || r.B == nil {
		t.Errorf("rollback only in B: %+v", r)
	}
	var buf bytes.Buffer
	if err := c.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"METRIC", "api.updates.mean_ms", "REGRESSED", "+", "%"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	if _, err := Compare(a, nil); err == nil {
		t.Error("nil run: want an error")
	}
}

func TestWriteHTMLDeterministic(t *testing.T) {
	a := fixture.Run(fixture.Params{Seed: 1})
	b := fixture.Run(fixture.Params{Seed: 2, Rollback: true})
	var x, y bytes.Buffer
	o := html.Options{ECharts: []byte("/**/")}
	if err := WriteHTML(&x, a, b, o); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&y, a, b, o); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Bytes(), y.Bytes()) {
		t.Error("the same comparison rendered to different bytes")
	}
	for _, want := range []string{`id="comparison"`, "cmp_adoption", "cmp_updates_p95", "cmp_latency_hdr", "cmp_throughput", "cmp_rollback", a.Summary.RunID, b.Summary.RunID} {
		if !strings.Contains(x.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestComparisonInBrowser: the comparison page draws every chart offline.
func TestComparisonInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not in -short")
	}
	js := browsertest.ECharts(t)
	br := browsertest.New(t)
	a := fixture.Run(fixture.Params{Seed: 1})
	b := fixture.Run(fixture.Params{Seed: 2, LatencyMs: 70, Rollback: true})
	var buf bytes.Buffer
	if err := WriteHTML(&buf, a, b, html.Options{ECharts: js}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "compare.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(br.Ctx, chromedp.Navigate("file://"+path), chromedp.WaitReady(chromedp.CSS("#comparison"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(br.Ctx, chromedp.Poll[bool](`document.body.dataset.drawn === "all"`)); err != nil {
		t.Fatalf("the charts were never all drawn: %v", err)
	}
	ink, err := chromedp.Run(br.Ctx, chromedp.Evaluate[map[string]int](browsertest.CanvasInkJS))
	if err != nil {
		t.Fatal(err)
	}
	if len(ink) != 5 {
		t.Errorf("%d charts, want 5", len(ink))
	}
	for id, n := range ink {
		if n == 0 {
			t.Errorf("chart %s drew nothing", id)
		}
	}
	rows, err := chromedp.Run(br.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('#comparison tr[data-metric]').length`))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Compare(a, b)
	if rows != len(c.Rows) {
		t.Errorf("table has %d rows, want %d", rows, len(c.Rows))
	}
	br.Screenshot("compare.png")
	if errs := br.Errors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
