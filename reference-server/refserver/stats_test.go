package refserver

import (
	"encoding/json"
	"testing"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/live"
)

// The per-bundle counts the backend keeps (plugins/stats.ts:172-191): for
// prod builds on real devices, set installs version_name and uninstalls
// old_version_name, every *_fail fails version_name.
func TestStatsCounts(t *testing.T) {
	ts := startServer(t)
	emu := event(uuid(8), "set", "1.1.0", "builtin")
	emu.IsEmulator = true
	dev := event(uuid(9), "set", "1.1.0", "1.0.0")
	dev.IsProd = false
	legacy := event(uuid(10), "download_fail", "1.2.0", "")
	legacy.PluginVersion = "7.16.0"
	batch := []protocol.StatsEvent{
		event(uuid(1), "set", "1.1.0", "1.0.0"),
		event(uuid(2), "set", "1.1.0", "builtin"),
		event(uuid(3), "set", "1.2.0", "1.1.0"),
		event(uuid(4), "update_fail", "1.2.0", ""),
		event(uuid(5), "download_fail", "1.2.0", ""),
		event(uuid(6), "checksum_fail", "1.2.0", ""),
		event(uuid(6), "download_complete", "1.2.0", ""),
		event(uuid(7), "set", "builtin", "1.1.0"), // builtin on native 1.0.0
		emu, dev, legacy,
	}
	st, raw := do(t, "POST", ts.URL+"/stats", batch)
	var rep protocol.StatsReply
	if err := json.Unmarshal(raw, &rep); st != 200 || err != nil || len(rep.Results) != len(batch) {
		t.Fatalf("stats: %d %s", st, raw)
	}
	for _, r := range rep.Results {
		if r.Status != "ok" {
			t.Errorf("result %+v", r)
		}
	}
	tests := []struct {
		bundle string
		want   live.BundleStats
	}{
		{"1.1.0", live.BundleStats{Installs: 2, Uninstalls: 2, Failures: map[string]int64{}}},
		{"1.0.0", live.BundleStats{Installs: 1, Uninstalls: 1, Failures: map[string]int64{}}},
		{"builtin", live.BundleStats{Uninstalls: 1, Failures: map[string]int64{}}},
		{"1.2.0", live.BundleStats{Installs: 1, FailuresTotal: 3,
			Failures: map[string]int64{"update_fail": 1, "download_fail": 1, "checksum_fail": 1}}},
	}
	ts.admin(t, "POST", "/admin/apps/com.example.app/bundles", map[string]any{"name": "builtin"}, nil)
	for _, tt := range tests {
		var got live.BundleStats
		ts.admin(t, "GET", "/admin/apps/com.example.app/bundles/"+tt.bundle+"/stats", nil, &got)
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(tt.want)
		if string(gj) != string(wj) {
			t.Errorf("%s: got %s, want %s", tt.bundle, gj, wj)
		}
	}
}

func TestActiveDevices(t *testing.T) {
	ts := startServer(t)
	for i := range 3 {
		in := deviceInfo(uuid(i))
		if i == 2 {
			in.VersionName = "1.1.0"
		}
		updates(t, ts, in)
	}
	check := func(bundle string, want int) {
		t.Helper()
		var got live.BundleStats
		ts.admin(t, "GET", "/admin/apps/com.example.app/bundles/"+bundle+"/stats", nil, &got)
		if got.ActiveDevices != want {
			t.Errorf("%s active = %d, want %d", bundle, got.ActiveDevices, want)
		}
	}
	check("1.0.0", 2) // builtin devices run their native version
	check("1.1.0", 1)
	ts.clock.Advance(live.ActiveWindow + 1)
	check("1.0.0", 0)
}

// The hand-written reply of an all-accepted batch is what encoding/json
// writes for it, byte for byte.
func TestOKBatchReply(t *testing.T) {
	for _, n := range []int{1, 2, 10, 200} {
		rep := protocol.StatsReply{Status: "ok", Results: make([]protocol.StatsResult, n)}
		for i := range rep.Results {
			rep.Results[i] = protocol.StatsResult{Status: "ok", Index: i}
		}
		want, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendOKBatch(nil, n); string(got) != string(want)+"\n" {
			t.Errorf("%d events:\n got %s\nwant %s", n, got, want)
		}
	}
}
