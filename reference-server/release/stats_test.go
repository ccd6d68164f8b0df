package release

import (
	"reflect"
	"testing"

	"github.com/otasim/otasim/protocol"
)

func TestDecideEvent(t *testing.T) {
	app := fixture().Apps["com.example.app"]
	ev := func(action, name, old string) Event {
		return Event{Action: action, VersionName: name, OldVersionName: old, Plugin: protocol.PluginVersion, IsProd: true}
	}
	tests := []struct {
		name string
		ev   Event
		want EventOutcome
	}{
		{"set counts an install and an uninstall", ev("set", "1.1.0", "1.0.0"),
			EventOutcome{Store: true, Counts: []Count{{"1.1.0", CountInstall}, {"1.0.0", CountUninstall}}}},
		{"set over builtin", ev("set", "1.1.0", "builtin"),
			EventOutcome{Store: true, Counts: []Count{{"1.1.0", CountInstall}, {"builtin", CountUninstall}}}},
		{"set over an unknown old bundle", ev("set", "1.1.0", "0.0.1"),
			EventOutcome{Store: true, Counts: []Count{{"1.1.0", CountInstall}}}},
		{"set over a deleted bundle", ev("set", "1.1.0", "0.8.0"),
			EventOutcome{Store: true, Counts: []Count{{"1.1.0", CountInstall}, {"0.8.0", CountUninstall}}}},
		{"set of the same bundle", ev("set", "1.1.0", "1.1.0"), EventOutcome{Store: true, Counts: []Count{{"1.1.0", CountInstall}}}},
		{"failure", ev("update_fail", "1.2.0", ""), EventOutcome{Store: true, Counts: []Count{{"1.2.0", "update_fail"}}}},
		{"file failure counts against its bundle", ev("download_manifest_file_fail", "1.2.0:main.js", ""),
			EventOutcome{Store: true, Counts: []Count{{"1.2.0", "download_manifest_file_fail"}}}},
		{"other actions are stored, not counted", ev("app_launch_ready", "1.2.0", ""), EventOutcome{Store: true}},
		{"dev builds are not counted", Event{Action: "set", VersionName: "1.1.0", Plugin: "8.0.0"}, EventOutcome{Store: true}},
		{"emulators are not counted", Event{Action: "update_fail", VersionName: "1.1.0", IsProd: true, IsEmulator: true}, EventOutcome{Store: true}},
		{"unknown bundle", ev("set", "9.9.9", ""), EventOutcome{Code: protocol.CodeVersionNotFound, Message: "Version not found"}},
		{"deleted bundle", ev("app_launch_ready", "0.8.0", ""), EventOutcome{Code: protocol.CodeVersionNotFound, Message: "Version not found"}},
		{"builtin is always known", ev("reset", "builtin", ""), EventOutcome{Store: true}},
		{"unknown is always known", ev("app_launch_start", "unknown", ""), EventOutcome{Store: true}},
		{"legacy download_fail is dropped", Event{Action: "download_fail", VersionName: "9.9.9", Plugin: "7.16.9", IsProd: true}, EventOutcome{}},
		{"download_fail without a version is dropped", Event{Action: "download_fail", VersionName: "1.1.0", Plugin: "not-a-version", IsProd: true}, EventOutcome{}},
		{"v6 download_fail counts from 6.14.25", Event{Action: "download_fail", VersionName: "1.1.0", Plugin: "6.14.25", IsProd: true},
			EventOutcome{Store: true, Counts: []Count{{"1.1.0", "download_fail"}}}},
		{"no action about a known bundle", ev("", "1.1.0", ""), EventOutcome{Crash: true}},
		{"no action about an unknown bundle", ev("", "9.9.9", ""), EventOutcome{Code: protocol.CodeVersionNotFound, Message: "Version not found"}},
	}
	for _, tt := range tests {
		if got := DecideEvent(app, tt.ev); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
