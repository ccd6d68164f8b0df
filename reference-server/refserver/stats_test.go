package refserver

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"testing"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/store"
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

// The hand-written reply of a batch is what encoding/json writes for it
// without HTML escaping, byte for byte: all accepted, and mixed with
// refusals, their details and strings that need escaping. (U+2028 is left
// out: encoding/json escapes it, JSON.stringify, the backend's, does not.)
func TestBatchReply(t *testing.T) {
	refused := protocol.StatsResult{Status: "error", Error: protocol.CodeVersionNotFound, Message: "Version not found",
		MoreInfo: map[string]string{"version_name": "1.0.0 \"<b>\"\n\x01", "app_id": "com.example.app"}}
	invalid := protocol.StatsResult{Status: "error", Error: protocol.CodeInvalidJSONBody, Message: "metadata.ké: too long"}
	for _, n := range []int{0, 1, 2, 10, 200} {
		for _, mixed := range []bool{false, true} {
			rep := protocol.StatsReply{Status: "ok", Results: make([]protocol.StatsResult, n)}
			for i := range rep.Results {
				rep.Results[i] = protocol.StatsResult{Status: "ok", Index: i}
				if mixed && i%3 == 1 {
					rep.Results[i], rep.Results[i].Index = refused, i
				} else if mixed && i%3 == 2 {
					rep.Results[i], rep.Results[i].Index = invalid, i
				}
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(rep); err != nil {
				t.Fatal(err)
			}
			if got := appendBatchReply(nil, &rep); string(got) != want.String() {
				t.Fatalf("%d events, mixed %v:\n got %.400s\nwant %.400s", n, mixed, got, want.String())
			}
		}
	}
}

// A /stats request's scratch goes back to the pool empty and cleared: the
// pool holds no request's strings, and a slice a large batch grew is let
// go.
func TestScratchCleared(t *testing.T) {
	var sp scratchPool
	sc := sp.get()
	sc.evs = append(sc.evs, wireBody{DeviceID: jsField{str: "device-1"}})
	sc.rec.events = append(sc.rec.events, store.Event{DeviceID: "device-1"})
	sc.rec.infos = append(sc.rec.infos, protocol.Info{DeviceID: "device-1"})
	sc.results = make([]protocol.StatsResult, maxPooledSlice+1)
	sc.results[0].Message = "refused"
	sc.moreInfo("com.example.app", "1.0.0")
	evs, events, infos := sc.evs, sc.rec.events, sc.rec.infos
	sp.put(sc)
	if len(sc.evs)+len(sc.rec.events)+len(sc.rec.infos) != 0 || sc.results != nil || sc.refused != nil {
		t.Fatalf("put left lengths %d %d %d and results %d", len(sc.evs), len(sc.rec.events), len(sc.rec.infos), len(sc.results))
	}
	if evs[0].DeviceID.str != "" || events[0].DeviceID != "" || infos[0].DeviceID != "" {
		t.Errorf("put kept a request's strings: %q %q %q", evs[0].DeviceID.str, events[0].DeviceID, infos[0].DeviceID)
	}
}

// The refusals of a request share a moreInfo while they name the same app
// and version, and get their own when not, the earlier left as it was.
func TestRefusalsShareMoreInfo(t *testing.T) {
	var sc statsScratch
	a := sc.moreInfo("com.example.app", "1.0.0")
	if b := sc.moreInfo("com.example.app", "1.0.0"); !maps.Equal(a, b) || reflect.ValueOf(a).UnsafePointer() != reflect.ValueOf(b).UnsafePointer() {
		t.Fatalf("the same refusal made another map: %v %v", a, b)
	}
	for _, c := range [][2]string{{"com.example.app", "1.0.1"}, {"com.other.app", "1.0.1"}} {
		m := sc.moreInfo(c[0], c[1])
		if want := map[string]string{"app_id": c[0], "version_name": c[1]}; !maps.Equal(m, want) {
			t.Fatalf("moreInfo(%q, %q) = %v", c[0], c[1], m)
		}
	}
	if want := map[string]string{"app_id": "com.example.app", "version_name": "1.0.0"}; !maps.Equal(a, want) {
		t.Fatalf("a later refusal changed an earlier one's moreInfo: %v", a)
	}
}
