package html

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/otasim/otasim/reports/internal/browsertest"
	"github.com/otasim/otasim/reports/internal/fixture"
	"github.com/otasim/otasim/reports/internal/realrun"
	"github.com/otasim/otasim/sim/results"
)

// echartsForTest is the real ECharts build (browsertest.ECharts skips
// without it, or fails in CI).
func echartsForTest(t *testing.T) []byte { return browsertest.ECharts(t) }

// TestReportInBrowser opens the report of a real ci-smoke run, and of a
// constructed run with a rollback, in headless Chromium with the network
// blocked, and checks that every chart drew, nothing went to the console
// as an error, and the targets table shows the run's own values.
func TestReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not in -short")
	}
	b := browsertest.New(t)
	js := echartsForTest(t)

	dir, res := realrun.CISmoke(t, nil)
	real, err := results.Read(dir)
	if err != nil {
		t.Fatalf("read the ci-smoke run: %v\n%s", err, res.Output)
	}
	for _, tc := range []struct {
		name string
		run  *results.Run
	}{
		{"ci-smoke", real},
		{"fixture-rollback", fixture.Run(fixture.Params{Seed: 11, Rollback: true})},
		// Zips and per-file downloads: the delivery comparison draws.
		{"fixture-delta", fixture.Run(fixture.Params{Seed: 13, Delta: true})},
		// Series as long as a week sampled every minute: downsampled, the
		// page still draws every chart.
		{"fixture-long", fixture.Run(fixture.Params{Seed: 12, Samples: 10_000})},
		// A load run: its charts of summary.load draw too.
		{"fixture-load", loadRun("ramping")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, tc.run, Options{ECharts: js}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "report.html")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			before := len(b.Errors())
			if err := chromedp.Do(b.Ctx, chromedp.Navigate("file://"+path), chromedp.WaitReady(chromedp.CSS("#targets"))); err != nil {
				t.Fatalf("open the report: %v", err)
			}
			if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`document.body.dataset.drawn === "all"`)); err != nil {
				t.Fatalf("the charts were never all drawn: %v\n%s", err, b.Messages())
			}
			ink, err := chromedp.Run(b.Ctx, chromedp.Evaluate[map[string]int](browsertest.CanvasInkJS))
			if err != nil {
				t.Fatal(err)
			}
			d, _ := Report(tc.run, Options{})
			for _, s := range d.Sections() {
				if ink[s.ID] == 0 {
					t.Errorf("chart %s drew nothing (its canvas is blank)", s.ID)
				}
			}
			if len(ink) != len(d.Sections()) {
				t.Errorf("page has %d charts, want %d", len(ink), len(d.Sections()))
			}
			type row struct{ Name, Value, Threshold, Result string }
			rows, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]row](`Array.from(document.querySelectorAll('#targets tr[data-target]')).map(r => ({
				Name: r.dataset.target, Value: r.querySelector('.value').textContent,
				Threshold: r.querySelector('.threshold').textContent, Result: r.querySelector('.result').textContent}))`))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tc.run.Summary.Targets) {
				t.Fatalf("targets table has %d rows, want %d", len(rows), len(tc.run.Summary.Targets))
			}
			for i, tr := range tc.run.Summary.Targets {
				res, _ := statusView(tr.Status)
				want := row{tr.Name, FormatValue(tr.Value, tr.Unit), FormatThreshold(tr), res}
				if rows[i] != want {
					t.Errorf("target row %d = %+v, want %+v", i, rows[i], want)
				}
			}
			// How long the page took to show and to draw every chart, for
			// the log (a measurement, not a pass/fail check).
			if ms, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]float64](`[performance.getEntriesByType('navigation')[0].loadEventEnd, window.otasimDrawnMs]`)); err == nil && len(ms) == 2 {
				t.Logf("%s: %d bytes, shown in %.0f ms, every chart drawn in %.0f ms", tc.name, buf.Len(), ms[0], ms[1])
			}
			b.Screenshot("report-" + tc.name + ".png")
			if errs := b.Errors()[before:]; len(errs) > 0 {
				t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}
