package sim

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
)

var updateGolden = flag.Bool("update", false, "rewrite the wire golden files")

// selfHosted is a recording loopback server that answers as a
// self-hosted Capgo server does: offers without checksum, errors without
// kind, a 5xx phase, a 429 with Retry-After, a refused private channel.
// It records every request of the one device.
type selfHosted struct {
	mu       sync.Mutex
	updates  int
	requests []string // /updates and downloads, in order
	channel  []string // /channel_self
	stats    []string // batched stats actions in the order they arrived
	alone    []string // stats posted as single objects
	base     string
}

func (h *selfHosted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.URL.Path == "/updates":
		var in protocol.Info
		_ = json.Unmarshal(body, &in)
		h.updates++
		line := fmt.Sprintf("POST /updates version_name=%s defaultChannel=%q", in.VersionName, in.DefaultChannel)
		switch {
		case h.updates == 1:
			w.WriteHeader(500)
			io.WriteString(w, `{"error":"server_error","message":"database unavailable"}`)
			line += " → 500 server_error"
		case h.updates == 2:
			w.Header().Set("Retry-After", "600")
			w.WriteHeader(429)
			io.WriteString(w, `{"error":"too_many_requests","message":"slow down"}`)
			line += " → 429 Retry-After: 600"
		case in.VersionName != "1.1.0":
			fmt.Fprintf(w, `{"version":"1.1.0","url":"%s/1.1.0.zip"}`, h.base)
			line += " → 1.1.0 (no checksum)"
		default:
			io.WriteString(w, `{"error":"no_new_version_available","message":"up to date"}`)
			line += " → no_new_version_available (no kind)"
		}
		h.requests = append(h.requests, line)
	case r.URL.Path == "/channel_self":
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"channel_self_set_not_allowed","message":"private"}`)
		h.channel = append(h.channel, r.Method+" /channel_self → 400 channel_self_set_not_allowed")
	case r.URL.Path == "/stats":
		var evs []protocol.StatsEvent
		if json.Unmarshal(body, &evs) != nil {
			var ev protocol.StatsEvent
			_ = json.Unmarshal(body, &ev)
			h.alone = append(h.alone, ev.Action+" "+ev.VersionName)
		}
		for _, ev := range evs {
			l := ev.Action + " " + ev.VersionName
			if ev.OldVersionName != "" {
				l += " old " + ev.OldVersionName
			}
			h.stats = append(h.stats, l)
		}
		io.WriteString(w, `{"status":"ok"}`)
	case strings.HasSuffix(r.URL.Path, ".zip"):
		h.requests = append(h.requests, "GET "+r.URL.Path)
		w.Write(make([]byte, 32_000))
	default:
		http.NotFound(w, r)
	}
}

// wireRefs gives each step the plugin code that sends it (capacitor-updater
// 8.51.14, android/src/main/java/ee/forgr/capacitor_updater/ as A/,
// ios/Sources/CapacitorUpdaterPlugin/ as I/).
func wireRef(platform, step string) string {
	a := platform == "android"
	first := strings.Fields(step)[0]
	if strings.HasPrefix(first, "download_") && first != "download_complete" && first != "download_fail" &&
		first != "download_zip_start" && first != "download_zip_complete" {
		first = "download_NN"
	}
	refs := map[string][2]string{
		"POST":                    {"A/CapacitorUpdaterPlugin.java:4751 backgroundDownload → A/CapgoUpdater.java:2351 getLatest", "I/CapacitorUpdaterPlugin.swift:4244 backgroundDownload → I/CapgoUpdater.swift:1039 getLatest"},
		"GET":                     {"A/DownloadService.java:596 handleSingleFileDownload", "I/CapgoUpdater.swift:1943 download"},
		"app_launch_start":        {"A/CapacitorUpdaterPlugin.java:1737 reportAppLaunchStart", "I/CapacitorUpdaterPlugin.swift:3206 reportAppLaunchStart"},
		"app_launch_ready":        {"A/CapacitorUpdaterPlugin.java:1755 reportAppLaunchReady", "I/CapacitorUpdaterPlugin.swift:3224 reportAppLaunchReady"},
		"app_moved_to_foreground": {"A/CapacitorUpdaterPlugin.java:5205 appMovedToForeground", "I/CapacitorUpdaterPlugin.swift:4569 appMovedToForeground"},
		"app_moved_to_background": {"A/CapacitorUpdaterPlugin.java:5274 appMovedToBackground", "I/CapacitorUpdaterPlugin.swift:4643 appMovedToBackground"},
		"download_fail":           {"A/CapacitorUpdaterPlugin.java:4705 endBackGroundTaskWithNotif", "I/CapacitorUpdaterPlugin.swift:4179 endBackGroundTaskWithNotif"},
		"rate_limit_reached":      {"A/CapgoUpdater.java:2167 sendRateLimitStatistic", "I/CapgoUpdater.swift:656 sendRateLimitStatistic"},
		"download_zip_start":      {"A/DownloadService.java:605 sendStatsAsync", "I/CapgoUpdater.swift:1964 download"},
		"download_zip_complete":   {"A/DownloadService.java:717 sendStatsAsync", "I/CapgoUpdater.swift:2077 download"},
		"download_NN":             {"A/CapacitorUpdaterPlugin.java:2494 notifyDownload", "I/CapacitorUpdaterPlugin.swift:1230 notifyDownload"},
		"download_complete":       {"A/CapacitorUpdaterPlugin.java:2504 notifyDownload(100)", "I/CapacitorUpdaterPlugin.swift:1240 notifyDownload(100)"},
		"set_next":                {"A/CapgoUpdater.java:3338 setNextBundle", "I/CapgoUpdater.swift:3497 setNextBundle"},
		"set":                     {"A/CapgoUpdater.java:1803 set / :1838 finalizePendingReload", "I/CapgoUpdater.swift:2636 set / :2671 finalizePendingReload"},
		"delete":                  {"A/CapgoUpdater.java:1621 delete", "I/CapgoUpdater.swift:2304 delete"},
		"PUT":                     {"A/CapgoUpdater.java:2489 getChannel", "I/CapgoUpdater.swift:2871 getChannel"},
	}
	if first == "POST" && strings.Contains(step, "/channel_self") {
		if a {
			return "A/CapgoUpdater.java:2413 setChannel"
		}
		return "I/CapgoUpdater.swift:2763 setChannel"
	}
	r, ok := refs[first]
	if !ok {
		return "?"
	}
	if a {
		return r[0]
	}
	return r[1]
}

// TestWireFidelity runs one device per update mode against the recording
// server and compares what it sent with the golden files
// (testdata/wire/*.golden: the sequence the plugin sends, each step beside
// the plugin code that sends it). `go test ./sim -run Wire -update`
// rewrites them.
//
// The runs go at speed 900, where a request that a loaded machine holds
// for 100 ms costs the device 90 virtual seconds, against sessions of
// about ten minutes (at 3600 a download under go test -race and a CPU hog
// outlasted its session). They mostly sleep, so all of them run at once,
// not -parallel at a time.
func TestWireFidelity(t *testing.T) {
	cases := []struct{ mode, platform string }{
		{"atBackground", "android"}, {"atBackground", "ios"}, {"atInstall", "android"},
		{"onLaunch", "android"}, {"always", "ios"}, {"onlyDownload", "android"}, {"off", "ios"},
	}
	wires := make([]string, len(cases))
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		wg.Go(func() { wires[i], errs[i] = recordWire(tc.mode, tc.platform) })
	}
	wg.Wait()
	for i, tc := range cases {
		t.Run(tc.mode+"-"+tc.platform, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			path := filepath.Join("testdata", "wire", tc.mode+"-"+tc.platform+".golden")
			if *updateGolden {
				if err := os.WriteFile(path, []byte(wires[i]), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got := wires[i]; aloneUnordered(got) != aloneUnordered(string(want)) {
				t.Errorf("the wire differs from %s:\n%s", path, diffLines(string(want), got))
			}
		})
	}
}

// recordWire runs one device of the mode and platform against a recording
// server and returns what it sent, each step beside the plugin's code.
func recordWire(mode, platform string) (string, error) {
	h := &selfHosted{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	h.base = srv.URL
	src := fmt.Sprintf(`
name: wire
run: {duration: 8h, speed: 900, seed: 5}
bundles:
  - {version: 1.1.0, size: 32000B}
network_profiles:
  quiet: {bandwidth: 10Mbps, rtt: 30s, jitter: 0s, failure: 0}
fleet:
  devices: 1
  segments:
    - {name: one, share: 1, sessions_per_day: 24, diurnal: flat, update_mode: %s, self_assign: beta,
       platforms: {%s: 1}, networks: {quiet: 1}, process_kept_for: 1h,
       session_length: {median: 10m, p90: 20m}, timezone_spread_hours: 0}
`, mode, platform)
	sc, err := scenarios.Parse("wire.yaml", []byte(src))
	if err != nil {
		return "", err
	}
	cfg := Config{Scenario: sc, RunID: "wire",
		Endpoints: client.Endpoints{Updates: srv.URL + "/updates", Stats: srv.URL + "/stats", Channel: srv.URL + "/channel_self"}}
	if _, err := Run(context.Background(), cfg); err != nil {
		return "", err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "# update_mode %s, %s, capacitor-updater 8.51.14 (A/ = android/src/main/java/ee/forgr/capacitor_updater/, I/ = ios/Sources/CapacitorUpdaterPlugin/)\n", mode, platform)
	for _, sec := range []struct {
		title string
		lines []string
	}{
		{"/updates and bundle downloads, in order", h.requests},
		{"/channel_self (the app's setChannel after each cold start until answered)", h.channel},
		{"stats actions of the batches (JSON arrays), in order", h.stats},
		{"stats posted alone (single objects, outside the batch)", h.alone},
	} {
		b.WriteString("## " + sec.title + "\n")
		for _, l := range sec.lines {
			fmt.Fprintf(&b, "%-72s  %s\n", l, wireRef(platform, l))
		}
	}
	return b.String(), nil
}

// aloneUnordered sorts the lines of the "stats posted alone" section:
// each of those is its own request, sent without waiting for the one
// before (A/DownloadService.java:372 sendStatsAsync), so two sent close
// together may arrive in either order on a loaded machine; every other
// section's order is the device's.
func aloneUnordered(wire string) string {
	const head = "## stats posted alone"
	i := strings.Index(wire, head)
	if i < 0 {
		return wire
	}
	rest := wire[i:]
	nl := strings.IndexByte(rest, '\n')
	if nl < 0 {
		return wire
	}
	body := rest[nl+1:]
	end := strings.Index(body, "\n## ")
	tail := ""
	if end >= 0 {
		body, tail = body[:end+1], body[end+1:]
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	sort.Strings(lines)
	return wire[:i] + rest[:nl+1] + strings.Join(lines, "\n") + "\n" + tail
}

// diffLines shows the first lines that differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant %s\n got %s", i+1, a, b)
		}
	}
	return ""
}
