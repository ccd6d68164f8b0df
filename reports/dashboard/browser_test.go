package dashboard

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/otasim/otasim/reports/internal/browsertest"
	"github.com/otasim/otasim/sim/results"
)

// TestDashboardInBrowser streams a short run's frames to a real browser
// and checks that the page follows: the frame count and the virtual clock
// move, every chart draws, and nothing goes to the console as an error.
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not in -short")
	}
	browsertest.RequireChromium(t)
	js := browsertest.ECharts(t)
	s, err := New(Config{Title: "ci-smoke · test", ECharts: js})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	})
	addr := ln.Addr().String()
	b := browsertest.New(t, "http://"+addr+"/*", "ws://"+addr+"/*")

	for i := 1; i <= 3; i++ { // before the browser: sent as history
		s.Publish(progress(i))
	}
	if err := chromedp.Do(b.Ctx, chromedp.Navigate("http://"+addr+"/")); err != nil {
		t.Fatal(err)
	}
	waitFrames := func(n int) {
		t.Helper()
		expr := fmt.Sprintf(`Number(document.body.dataset.frames) >= %d`, n)
		if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](expr)); err != nil {
			t.Fatalf("the page never showed %d frames: %v\n%s", n, err, b.Messages())
		}
	}
	waitFrames(3)
	waitFor(t, "the browser to register", func() bool { return s.Clients() == 1 })
	for i := 4; i <= 12; i++ {
		s.Publish(progress(i))
	}
	waitFrames(12)
	clock, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.getElementById('vclock').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if clock != "2:00:00" { // frame 12: 12 × 600 virtual seconds
		t.Errorf("virtual clock shows %q, want 2:00:00", clock)
	}
	// A lost target is said while it lasts, and the verdict at the end.
	lost := progress(13)
	lostAt := 7500.0
	lost.TargetLostAtS = &lostAt
	s.Publish(lost)
	waitFrames(13)
	banner, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.getElementById('lost').hidden ? '' : document.getElementById('lost').textContent`))
	if err != nil || !strings.HasPrefix(banner, "TARGET LOST at 2:05:00") {
		t.Errorf("a lost target shows %q (%v)", banner, err)
	}
	final := progress(14)
	final.Verdict, final.VerdictReasons = results.VerdictFail, []string{"the target was lost at 2:05:00", "api_errors.updates: 40.0% > 1.0%"}
	s.Finish(final)
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`document.getElementById('status').textContent === 'finished'`)); err != nil {
		t.Fatalf("the page never said finished: %v", err)
	}
	shown, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`[document.getElementById('lost').hidden ? 'hidden' : 'shown',
		document.getElementById('verdict').className, document.getElementById('verdict').innerText]`))
	if err != nil {
		t.Fatal(err)
	}
	if shown[0] != "hidden" || shown[1] != "alert bad" || !strings.Contains(shown[2], "VERDICT: FAIL") || !strings.Contains(shown[2], "api_errors.updates: 40.0% > 1.0%") {
		t.Errorf("the finished page shows %q", shown)
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
	b.Screenshot("dashboard.png")
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
