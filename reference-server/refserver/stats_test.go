package refserver

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/otasim/otasim/protocol"
)

func TestStatsHandler(t *testing.T) {
	ts := startServer(t)
	ok := event(dev1, "set", "1.1.0", "builtin")
	bigMeta := map[string]string{}
	for i := range 31 {
		bigMeta[fmt.Sprint("k", i)] = "v"
	}
	withMeta := func(m map[string]string) protocol.StatsEvent { e := ok; e.Metadata = m; return e }
	other := ok
	other.AppID = "com.other.app"
	badAction := ok
	badAction.Action = "explode"
	many := make([]protocol.StatsEvent, protocol.MaxStatsBatch+1)
	for i := range many {
		many[i] = ok
	}
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantCode   string   // whole-request error code
		wantItems  []string // per-item result: "ok" or an error code
	}{
		{"single event", ok, 200, "", nil},
		{"batch", []protocol.StatsEvent{ok, ok}, 200, "", []string{"ok", "ok"}},
		{"batch with a bad item", []any{ok, badAction, map[string]any{"action": "set"}, "text"}, 200, "",
			[]string{"ok", protocol.CodeInvalidAction, protocol.CodeMissingInfo, protocol.CodeInvalidJSONBody}},
		{"single unknown action", badAction, 400, protocol.CodeInvalidAction, nil},
		{"single missing action", withAction(ok, ""), 400, protocol.CodeMissingInfo, nil},
		{"too many metadata keys", withMeta(bigMeta), 400, protocol.CodeInvalidMetadata, nil},
		{"metadata value too long", withMeta(map[string]string{"k": strings.Repeat("x", 2049)}), 400, protocol.CodeInvalidMetadata, nil},
		{"metadata not strings", `{"app_id":"com.example.app","device_id":"d","platform":"ios","version_name":"","is_emulator":false,"is_prod":true,"action":"set","metadata":{"a":1}}`,
			400, protocol.CodeInvalidMetadata, nil},
		{"mixed app ids", []protocol.StatsEvent{ok, other}, 200, protocol.CodeMixedAppIDs, nil},
		{"too many events", many, 400, protocol.CodeTooManyEvents, nil},
		{"empty batch", `[]`, 200, "", []string{}},
		{"unknown app", other, 429, protocol.CodeOnPremiseApp, nil},
		{"invalid JSON", `[{"app_id":`, 400, protocol.CodeInvalidJSONBody, nil},
		{"wrong type", `{"app_id":"com.example.app","is_prod":"yes"}`, 400, protocol.CodeInvalidJSONBody, nil},
		{"body too large", `[` + strings.Repeat(" ", MaxStatsBody) + `]`, 413, protocol.CodeBodyTooLarge, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, raw := do(t, "POST", ts.URL+"/stats", tt.body)
			if st != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", st, tt.wantStatus, raw)
			}
			if tt.wantCode != "" {
				if e := checkErrorShape(t, raw); e.Error != tt.wantCode {
					t.Errorf("code = %q (%s), want %q", e.Error, e.Message, tt.wantCode)
				}
				return
			}
			var rep protocol.StatsReply
			if err := json.Unmarshal(raw, &rep); err != nil || rep.Status != "ok" {
				t.Fatalf("reply %s: %v", raw, err)
			}
			if len(rep.Results) != len(tt.wantItems) {
				t.Fatalf("results %+v, want %v", rep.Results, tt.wantItems)
			}
			for i, want := range tt.wantItems {
				got := rep.Results[i]
				if got.Index != i || (want == "ok") != (got.Status == "ok") || (want != "ok" && got.Error != want) {
					t.Errorf("result %d = %+v, want %s", i, got, want)
				}
			}
		})
	}
}

func withAction(e protocol.StatsEvent, a string) protocol.StatsEvent { e.Action = a; return e }

func TestStatsCounts(t *testing.T) {
	ts := startServer(t)
	emu := event("e1", "set", "1.1.0", "builtin")
	emu.IsEmulator = true
	dev := event("d1", "set", "1.1.0", "1.0.0")
	dev.IsProd = false
	batch := []protocol.StatsEvent{
		event("p1", "set", "1.1.0", "1.0.0"),
		event("p2", "set", "1.1.0", "builtin"), // builtin on native 1.0.0
		event("p3", "set", "1.2.0", "1.1.0"),
		event("p4", "update_fail", "1.2.0", ""),
		event("p5", "download_fail", "1.2.0", ""),
		event("p6", "checksum_fail", "1.2.0", ""),
		event("p6", "download_complete", "1.2.0", ""),
		emu, dev,
	}
	if st, raw := do(t, "POST", ts.URL+"/stats", batch); st != 200 {
		t.Fatalf("stats: %d %s", st, raw)
	}
	tests := []struct {
		bundle string
		want   BundleStats
	}{
		{"1.1.0", BundleStats{Installs: 2, Uninstalls: 1, Failures: map[string]int64{}}},
		{"1.0.0", BundleStats{Uninstalls: 2, Failures: map[string]int64{}}},
		{"1.2.0", BundleStats{Installs: 1, FailuresTotal: 3,
			Failures: map[string]int64{"update_fail": 1, "download_fail": 1, "checksum_fail": 1}}},
	}
	for _, tt := range tests {
		var got BundleStats
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
		in := deviceInfo(fmt.Sprintf("00000000-0000-0000-0000-00000000000%d", i))
		if i == 2 {
			in.VersionName = "1.1.0"
		}
		updates(t, ts, in)
	}
	check := func(bundle string, want int) {
		t.Helper()
		var got BundleStats
		ts.admin(t, "GET", "/admin/apps/com.example.app/bundles/"+bundle+"/stats", nil, &got)
		if got.ActiveDevices != want {
			t.Errorf("%s active = %d, want %d", bundle, got.ActiveDevices, want)
		}
	}
	check("1.0.0", 2) // builtin devices run their native version
	check("1.1.0", 1)
	ts.clock.Advance(ActiveWindow + 1)
	check("1.0.0", 0)
}
