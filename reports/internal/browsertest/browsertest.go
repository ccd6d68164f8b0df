// Package browsertest drives Debian's headless Chromium for the reports'
// browser tests: a fresh profile, every network request outside the
// allowed origins blocked, console errors and exceptions collected, and
// screenshots saved as test artifacts.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/otasim/otasim/reports/internal/realrun"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// Browser is one headless Chromium tab for a test.
type Browser struct {
	Ctx context.Context
	t   testing.TB

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
	stop     context.CancelFunc
	done     chan struct{}
}

// ECharts returns the ECharts build a page under test inlines. Without it
// a page cannot draw offline, so a browser test skips with a message
// saying what is missing, unless CI is set: .ci/run installs it, and CI
// always runs the browser tests.
func ECharts(t testing.TB) []byte {
	t.Helper()
	p := realrun.EChartsPath(t)
	if p == "" {
		const how = "npm install --prefix .cache/echarts echarts@5.4.3, i.e. just echarts"
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test: the ECharts build is missing, and CI must run this test (%s)", how)
		}
		t.Skipf("browser test skipped: the ECharts build is missing (%s, or set OTASIM_ECHARTS_JS); CI always runs it", how)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("browser test: the ECharts build: %v", err)
	}
	return b
}

// RequireChromium skips t when Chromium is missing, unless CI is set.
func RequireChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test: %s is missing, and CI must run this test (install Debian's chromium package): %v", ChromiumPath, err)
		}
		t.Skipf("browser test skipped: %s is missing (apt-get install chromium); CI always runs it", ChromiumPath)
	}
}

// New starts Chromium for t. It skips the test when the browser is
// missing, unless CI is set: CI always runs the browser tests. allow lists
// URL patterns (URLPattern syntax, e.g. "http://127.0.0.1:8089/*") that may
// load; every other http, https, ws and wss request is blocked, so a page
// that needs the network fails the test.
func New(t testing.TB, allow ...string) *Browser {
	t.Helper()
	RequireChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("allow-file-access-from-files", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// A hard bound on the whole browser session: a hung browser fails the
	// test instead of hanging the suite.
	// (Generous: a test may open several pages, on a machine the whole
	// suite and a CPU hog share.)
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	var patterns []*network.BlockPattern
	for _, a := range allow {
		patterns = append(patterns, &network.BlockPattern{URLPattern: a, Block: false})
	}
	for _, scheme := range []string{"http", "https", "ws", "wss"} {
		patterns = append(patterns, &network.BlockPattern{URLPattern: scheme + "://*:*/*", Block: true})
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("network.enable: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: patterns}); err != nil {
		t.Fatalf("block the network: %v", err)
	}
	b := &Browser{Ctx: ctx, t: t, done: make(chan struct{})}
	cctx, stop := context.WithCancel(ctx)
	b.stop = stop
	msgs := chromedp.Console(cctx)
	go func() {
		defer close(b.done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() { stop(); <-b.done })
	return b
}

// Errors returns the console errors and uncaught exceptions seen so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.messages {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			s := string(m.Type) + ": " + m.Text
			if m.URL != "" {
				s += " (" + m.URL + ")"
			}
			out = append(out, s)
		}
	}
	return out
}

// Messages returns every console message seen so far, one a line.
func (b *Browser) Messages() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	for _, m := range b.messages {
		sb.WriteString(string(m.Type) + ": " + m.Text + "\n")
	}
	return sb.String()
}

// ArtifactDir is where screenshots go: $OTASIM_TEST_ARTIFACTS when set
// (CI uploads it), else the test's temporary folder.
func ArtifactDir(t testing.TB) string {
	if d := os.Getenv("OTASIM_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("artifact folder: %v", err)
		}
		return d
	}
	return t.TempDir()
}

// Screenshot saves a full-page PNG as name in the artifact folder and
// returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	buf, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(ArtifactDir(b.t), name)
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	b.t.Logf("screenshot: %s", p)
	return p
}

// CanvasInkJS returns, for every chart container under the page, the
// number of pixels of its canvases that are not transparent: zero means
// the chart drew nothing. It reads pixels with getImageData, so a canvas
// blank but for its background counts too (charts draw on a transparent
// canvas).
const CanvasInkJS = `(() => {
  const out = {};
  document.querySelectorAll('[data-chart]').forEach(sec => {
    let ink = 0;
    sec.querySelectorAll('canvas').forEach(c => {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) return;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) ink++;
    });
    out[sec.getAttribute('data-chart')] = ink;
  });
  return out;
})()`
