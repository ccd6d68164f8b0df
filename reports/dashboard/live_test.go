package dashboard

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/otasim/otasim/reports/internal/browsertest"
	"github.com/otasim/otasim/reports/internal/realrun"
)

// TestDashboardLiveRun: `otasim run ci-smoke --dashboard` streams a real
// run to a browser: the page's frame count and virtual clock move while
// the run goes on.
func TestDashboardLiveRun(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not in -short")
	}
	// Both before the run: without the ECharts build the page the run
	// serves cannot draw, and the test would wait for frames in vain.
	browsertest.RequireChromium(t)
	browsertest.ECharts(t)
	db := t.TempDir() + "/runs.db"
	// A small, slow run (100 devices, 6 virtual hours in 40 s): a
	// browser that a loaded machine starts late still finds it running.
	p := realrun.Start(t, nil, "run", "ci-smoke", "--quiet", "--devices", "100", "--speed", "540", "--dashboard", "127.0.0.1:0",
		"--runs-db", db, "--out", t.TempDir()+"/run")
	// The command prints the address it listens on first.
	addr := p.WaitFor(t, regexp.MustCompile(`dashboard: http://(127\.0\.0\.1:\d+)/`), time.Minute)[1]
	b := browsertest.New(t, "http://"+addr+"/*", "ws://"+addr+"/*")
	if err := chromedp.Do(b.Ctx, chromedp.Navigate("http://"+addr+"/")); err != nil {
		t.Fatalf("open the dashboard: %v\n%s", err, p.Output())
	}
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`Number(document.body.dataset.frames) >= 3`)); err != nil {
		t.Fatalf("the page never showed 3 frames: %v\n%s", err, p.Output())
	}
	first, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.getElementById('vclock').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`document.getElementById('vclock').textContent !== `+"'"+first+"'")); err != nil {
		t.Fatalf("the virtual clock stayed at %s: %v", first, err)
	}
	ink, err := chromedp.Run(b.Ctx, chromedp.Evaluate[map[string]int](browsertest.CanvasInkJS))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"live_adoption", "live_rps", "live_failures", "live_latency"} {
		if ink[id] == 0 {
			t.Errorf("chart %s drew nothing", id)
		}
	}
	b.Screenshot("dashboard-live.png")
	if code := p.Wait(); code != 0 && code != 3 && code != 4 { // the verdict is not this test's
		t.Errorf("otasim run: exit %d\n%s", code, p.Output())
	}
	var errs []string
	for _, e := range b.Errors() {
		// The run's end closes the server: a refused reconnect or a
		// closed socket is expected then, nothing else.
		if !strings.Contains(e, "WebSocket") {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
