package refserver

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/release"
)

// TestRestartKeepsState stops a server gracefully and starts another on
// the same database: channels, rollouts, overrides, guard settings, counts
// and history come back, and devices keep their rollout decision.
func TestRestartKeepsState(t *testing.T) {
	clk := newClock()
	db := filepath.Join(t.TempDir(), "ref.db")
	ts := startServerAt(t, db, clk)
	const ch = "/admin/apps/com.example.app/channels/production"
	ts.admin(t, "PUT", ch+"/guard", map[string]any{"enabled": true, "action": "notify"}, nil)
	ts.admin(t, "POST", ch+"/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 3000}, nil)
	ts.admin(t, "PUT", "/admin/apps/com.example.app/devices/"+dev1+"/channel", map[string]any{"channel": "beta"}, nil)
	do(t, "POST", ts.URL+"/stats", event(dev1, "update_fail", "1.2.0", ""))
	offered := map[string]string{}
	for i := range 200 {
		id := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		_, rep := updates(t, ts, deviceInfo(id))
		offered[id] = rep.Version
	}
	var before channelView
	ts.admin(t, "GET", ch, nil, &before)
	ts.stop()

	ts2 := startServerAt(t, db, clk)
	var after channelView
	ts2.admin(t, "GET", ch, nil, &after)
	if after.Rollout == nil || *after.Rollout != *before.Rollout || after.Guard.GuardConfig != before.Guard.GuardConfig {
		t.Fatalf("channel before %+v\nafter %+v", before, after)
	}
	for id, v := range offered {
		if _, rep := updates(t, ts2, deviceInfo(id)); rep.Version != v {
			t.Fatalf("device %s offered %s before the restart, %s after", id, v, rep.Version)
		}
	}
	if _, rep := updates(t, ts2, deviceInfo(dev1)); rep.Version != "1.2.0" {
		t.Errorf("override lost: %+v", rep)
	}
	var bs live.BundleStats
	ts2.admin(t, "GET", "/admin/apps/com.example.app/bundles/1.2.0/stats", nil, &bs)
	if bs.Failures["update_fail"] != 1 {
		t.Errorf("counts lost: %+v", bs)
	}
	var one live.BundleStats
	ts2.admin(t, "GET", "/admin/apps/com.example.app/bundles/1.0.0/stats", nil, &one)
	if one.ActiveDevices == 0 {
		t.Errorf("devices on builtin 1.0.0 not active after the restart: %+v", one)
	}
	var g live.GuardStatus
	ts2.admin(t, "GET", ch+"/guard", nil, &g)
	if g.Window.Failures != 1 {
		t.Errorf("guard window not restored: %+v", g.Window)
	}
	var h []release.HistoryEntry
	ts2.admin(t, "GET", ch+"/history", nil, &h)
	if len(h) != 3 {
		t.Errorf("history %+v", h)
	}
}
