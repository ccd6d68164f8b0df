package remotewrite_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/otasim/otasim/reports/internal/browsertest"
	"github.com/otasim/otasim/reports/internal/promtest"
)

var screenshotTo = flag.String("dashboard-screenshot", "", "also save the drawing of the dashboard's queries to this PNG (docs/grafana/otasim.png)")

// shownPanels are the dashboard panels drawn in the screenshot, by title,
// and which of each one's queries (by refId).
var shownPanels = []struct{ title, ref string }{
	{"Adoption of the judged bundle per segment", "A"},
	{"API latency percentiles", "B"},
	{"Requests and failures", "A"},
	{"Requests and failures", "B"},
	{"CDN download time", "C"}, // per download: ci-smoke's bundle is under the 1 MB of "per 5 MB"
	{"Schedule lag", "A"},
}

// drawDashboard opens Prometheus' own graph page in headless Chromium
// with the dashboard's queries (one graph each, over the run)
// and checks that each graph drew its series from the data; the page's
// screenshot is a test artifact (and -dashboard-screenshot's file).
func drawDashboard(t *testing.T, srv *promtest.Server, runID, bundle, path string, wallS float64) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	q := url.Values{}
	n := 0
	for _, s := range shownPanels {
		expr := ""
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				if p.Title == s.title && tg.RefID == s.ref {
					expr = tg.Expr
				}
			}
		}
		if expr == "" {
			t.Fatalf("no query %s of panel %q in the dashboard", s.ref, s.title)
		}
		g := fmt.Sprintf("g%d.", n)
		q.Set(g+"expr", dashboardVars(runID, bundle).Replace(expr))
		q.Set(g+"tab", "0")
		q.Set(g+"range_input", fmt.Sprintf("%.0fs", wallS+5)) // the run, and a little after
		q.Set(g+"step_input", "1")
		n++
	}
	br := browsertest.New(t, srv.URL+"/*")
	page := srv.URL + "/classic/graph?" + q.Encode()
	if err := chromedp.Do(br.Ctx, chromedp.Navigate(page)); err != nil {
		t.Fatalf("open %s: %v", page, err)
	}
	// Each graph drew a line per series (rickshaw draws SVG paths).
	js := fmt.Sprintf(`(() => { const g = document.querySelectorAll('.graph_container'); return g.length === %d &&
		[...g].every(c => c.querySelectorAll('svg path').length > 0); })()`, n)
	if _, err := chromedp.Run(br.Ctx, chromedp.Poll[bool](js)); err != nil {
		br.Screenshot("dashboard-queries.png")
		t.Fatalf("the graphs did not draw: %v\n%s", err, br.Messages())
	}
	// The page's fixed navigation bar would sit across a full-page
	// screenshot.
	if _, err := chromedp.Run(br.Ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('nav').remove(); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	shot := br.Screenshot("dashboard-queries.png")
	if *screenshotTo != "" {
		png, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(*screenshotTo, png, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("dashboard screenshot: %s", *screenshotTo)
	}
}
