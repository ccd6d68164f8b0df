package refserver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/release"
)

// TestPluginFlow walks a device through what the plugin does: check,
// download, verify, report, and check again.
func TestPluginFlow(t *testing.T) {
	ts := startServer(t)
	in := deviceInfo(dev1)
	st, rep := updates(t, ts, in)
	if st != 200 || !rep.IsUpdate() || rep.Version != "1.1.0" {
		t.Fatalf("check: %d %+v", st, rep)
	}

	// Download in two parts, as a resumed download does.
	req, _ := http.NewRequest("GET", rep.URL, nil)
	req.Header.Set("Range", "bytes=0-999")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || len(first) != 1000 {
		t.Fatalf("range: %d, %d bytes", res.StatusCode, len(first))
	}
	req, _ = http.NewRequest("GET", rep.URL, nil)
	req.Header.Set("Range", "bytes=1000-")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(res.Body)
	res.Body.Close()
	sum := sha256.Sum256(append(first, rest...))
	if got := hex.EncodeToString(sum[:]); got != rep.Checksum {
		t.Fatalf("checksum of the bytes %s != reply checksum %s", got, rep.Checksum)
	}
	if len(first)+len(rest) != testBundleSize {
		t.Fatalf("size %d", len(first)+len(rest))
	}

	events := []protocol.StatsEvent{event(dev1, "download_complete", "1.1.0", ""), event(dev1, "set", "1.1.0", "builtin")}
	if st, raw := do(t, "POST", ts.URL+"/stats", events); st != 200 {
		t.Fatalf("stats: %d %s", st, raw)
	}
	in.VersionName = "1.1.0"
	st, rep = updates(t, ts, in)
	if st != 200 || rep.Error != protocol.CodeNoNewVersion || rep.Kind != protocol.KindUpToDate {
		t.Fatalf("second check: %d %+v", st, rep)
	}
	var bs live.BundleStats
	ts.admin(t, "GET", "/admin/apps/com.example.app/bundles/1.1.0/stats", nil, &bs)
	if bs.Installs != 1 || bs.ActiveDevices != 1 {
		t.Fatalf("stats %+v", bs)
	}

	// Bundle paths that try to leave the bundle folder are refused.
	for _, p := range []string{"/cdn/com.example.app/..%2F..%2Fref.db", "/cdn/..%2F/1.1.0.zip", "/cdn/com.example.app/9.9.9.zip"} {
		st, raw := do(t, "GET", ts.URL+p, nil)
		if st < 400 || st >= 500 {
			t.Errorf("GET %s = %d %s", p, st, raw)
		}
	}
}

// TestGuardRollsBackDefectiveBundle: a rollout whose devices report
// update_fail trips the guard, which rolls the channel back.
func TestGuardRollsBackDefectiveBundle(t *testing.T) {
	ts := startServer(t)
	const ch = "/admin/apps/com.example.app/channels/production"
	ts.admin(t, "PUT", ch+"/guard", map[string]any{"enabled": true, "threshold": 0.2, "min_attempts": 20, "action": "rollback"}, nil)
	ts.admin(t, "POST", ch+"/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 10000}, nil)

	id := func(i int) string { return fmt.Sprintf("00000000-0000-0000-0000-%012d", i) }
	// Every device gets 1.2.0; half of them fail to start it.
	for i := range 40 {
		_, rep := updates(t, ts, deviceInfo(id(i)))
		if rep.Version != "1.2.0" {
			t.Fatalf("device %d offered %+v", i, rep)
		}
	}
	for i := range 40 {
		ts.clock.Advance(time.Second)
		var evs []protocol.StatsEvent
		if i%2 == 0 {
			evs = []protocol.StatsEvent{event(id(i), "update_fail", "1.2.0", ""), event(id(i), "set", "1.1.0", "1.2.0")}
		} else {
			evs = []protocol.StatsEvent{event(id(i), "set", "1.2.0", "builtin")}
		}
		if st, raw := do(t, "POST", ts.URL+"/stats", evs); st != 200 {
			t.Fatalf("stats: %d %s", st, raw)
		}
	}
	var c channelView
	ts.admin(t, "GET", ch, nil, &c)
	if c.Rollout != nil || c.Bundle != "1.1.0" || c.Guard.LastTripAt == nil {
		t.Fatalf("channel after failures: rollout %+v bundle %s guard %+v", c.Rollout, c.Bundle, c.Guard)
	}
	var h []release.HistoryEntry
	ts.admin(t, "GET", ch+"/history", nil, &h)
	last := h[len(h)-1]
	if last.Event != "guard_rollback" || !strings.Contains(last.Reason, "wilson") || !last.At.Equal(c.Guard.LastTripAt.UTC()) {
		t.Fatalf("history ends with %+v", last)
	}
	// Trips are counted once.
	trips := 0
	for _, e := range h {
		if strings.HasPrefix(e.Event, "guard_") && e.Event != "guard_config" {
			trips++
		}
	}
	if trips != 1 {
		t.Errorf("%d trips recorded, want 1", trips)
	}
	// A device on the defective bundle is sent back to the stable one.
	in := deviceInfo(id(1))
	in.VersionName = "1.2.0"
	if _, rep := updates(t, ts, in); rep.Version != "1.1.0" {
		t.Fatalf("device on 1.2.0 offered %+v, want 1.1.0", rep)
	}
	_, metrics := do(t, "GET", ts.URL+"/metrics", nil)
	if !strings.Contains(string(metrics), `otasim_server_guard_trips_total{action="rollback",app_id="com.example.app",channel="production"} 1`) {
		t.Errorf("guard trip not in /metrics")
	}
}

func TestGuardPauseKeepsDevicesOnRollout(t *testing.T) {
	ts := startServer(t)
	const ch = "/admin/apps/com.example.app/channels/production"
	ts.admin(t, "PUT", ch+"/guard", map[string]any{"enabled": true, "threshold": 0.1, "min_attempts": 10, "action": "pause"}, nil)
	ts.admin(t, "POST", ch+"/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 10000}, nil)
	var evs []protocol.StatsEvent
	for i := range 10 {
		evs = append(evs, event(uuid(i), "download_fail", "1.2.0", ""))
	}
	do(t, "POST", ts.URL+"/stats", evs)
	var c channelView
	ts.admin(t, "GET", ch, nil, &c)
	if c.Rollout == nil || c.Rollout.State != release.RolloutPaused {
		t.Fatalf("rollout %+v, want paused", c.Rollout)
	}
	on := deviceInfo(dev1)
	on.VersionName = "1.2.0"
	if _, rep := updates(t, ts, on); rep.Error != protocol.CodeNoNewVersion {
		t.Errorf("device on the paused bundle: %+v", rep)
	}
	if _, rep := updates(t, ts, deviceInfo(dev1)); rep.Version != "1.1.0" {
		t.Errorf("new device during pause: %+v", rep)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	ts := startServer(t)
	updates(t, ts, deviceInfo(dev1))
	do(t, "POST", ts.URL+"/stats", event(dev1, "set", "1.1.0", ""))
	ts.admin(t, "POST", "/admin/apps/com.example.app/channels/production/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 2500}, nil)
	st, raw := do(t, "GET", ts.URL+"/metrics", nil)
	if st != 200 {
		t.Fatal(st)
	}
	for _, want := range []string{
		`otasim_server_requests_total{endpoint="updates",outcome="update"} 1`,
		`otasim_server_request_duration_seconds_bucket{endpoint="stats",outcome="ok"`,
		`otasim_server_stats_events_total{action="set"} 1`,
		`otasim_server_rollout_percent_bp{app_id="com.example.app",channel="production"} 2500`,
		`otasim_server_rollout_state{app_id="com.example.app",channel="production",state="running"} 1`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestGuardWindowsPerChannel: two channels roll out the same bundle; the
// failures of beta devices trip beta's guard only.
func TestGuardWindowsPerChannel(t *testing.T) {
	ts := startServer(t)
	ts.admin(t, "POST", "/admin/apps/com.example.app/bundles", map[string]any{"name": "1.3.0", "size": 4096}, nil)
	for _, c := range []string{"production", "beta"} {
		p := "/admin/apps/com.example.app/channels/" + c
		ts.admin(t, "PUT", p+"/guard", map[string]any{"enabled": true, "threshold": 0.2, "min_attempts": 10, "action": "pause"}, nil)
		ts.admin(t, "POST", p+"/rollout", map[string]any{"bundle": "1.3.0", "percent_bp": 10000}, nil)
	}
	var evs []protocol.StatsEvent
	for i := range 10 {
		e := event(uuid(1000+i), "update_fail", "1.3.0", "")
		e.DefaultChannel = "beta"
		evs = append(evs, e)
	}
	do(t, "POST", ts.URL+"/stats", evs)
	state := func(c string) release.RolloutState {
		var ch channelView
		ts.admin(t, "GET", "/admin/apps/com.example.app/channels/"+c, nil, &ch)
		return ch.Rollout.State
	}
	if got := state("beta"); got != release.RolloutPaused {
		t.Errorf("beta rollout %s, want paused", got)
	}
	if got := state("production"); got != release.RolloutRunning {
		t.Errorf("production rollout %s, want running (its devices reported nothing)", got)
	}
}
