package release

import (
	"testing"

	"github.com/otasim/otasim/protocol"
)

func TestSelfSet(t *testing.T) {
	s := fixture()
	app := s.Apps["com.example.app"]
	pinned := app.Channel("private") // an operator's pin, not self-assignable
	beta := app.Channel("beta")
	tests := []struct {
		name       string
		current    *Channel
		channel    string
		keeps      bool
		wantCode   string
		wantAction SelfAction
	}{
		{"new plugin: checked only", nil, "beta", true, "", KeepOverride},
		{"new plugin ignores a pin", pinned, "beta", true, "", KeepOverride},
		{"unknown channel", nil, "nightly", true, protocol.CodeChannelNotFound, KeepOverride},
		{"public channel", nil, "production", true, protocol.CodePublicChannelSelfSet, KeepOverride},
		{"private channel", nil, "private", false, protocol.CodeChannelSelfSetNotAllow, KeepOverride},
		{"legacy: stored", nil, "beta", false, "", StoreOverride},
		{"legacy: already set", beta, "beta", false, "", KeepOverride},
		{"legacy: a pin on a channel that is not self-assignable stays", pinned, "beta", false, protocol.CodeCannotOverride, KeepOverride},
	}
	for _, tt := range tests {
		got := SelfSet(app, tt.current, tt.channel, "android", tt.keeps)
		if got.Code != tt.wantCode || got.Action != tt.wantAction {
			t.Errorf("%s: got %+v, want code %q action %d", tt.name, got, tt.wantCode, tt.wantAction)
		}
		if got.Code == "" && tt.keeps != got.DeviceKeeps {
			t.Errorf("%s: DeviceKeeps = %v", tt.name, got.DeviceKeeps)
		}
	}
	// A legacy plugin choosing its platform's public channel (when it is
	// self-assignable) drops its override.
	app.Channel("production").Policy.AllowSelfSet = true
	if got := SelfSet(app, beta, "production", "android", false); got.Action != DropOverride || got.Code != "" {
		t.Errorf("main channel: %+v", got)
	}
}

func TestSelfGetUnsetList(t *testing.T) {
	app := fixture().Apps["com.example.app"]
	beta, pinned := app.Channel("beta"), app.Channel("private")
	rep, code := SelfGet(app, nil, "beta", "", "android", true)
	if code != "" || rep.Channel != "beta" || rep.Status != "override" || rep.AllowSet == nil || !*rep.AllowSet {
		t.Errorf("new plugin with its channel: %+v %s", rep, code)
	}
	rep, _ = SelfGet(app, nil, "", "", "android", true)
	if rep.Channel != "production" || rep.Status != "default" || rep.AllowSet != nil {
		t.Errorf("new plugin without a channel: %+v", rep)
	}
	rep, _ = SelfGet(app, pinned, "", "", "android", false)
	if rep.Channel != "private" || rep.Status != "override" || rep.AllowSet == nil || *rep.AllowSet {
		t.Errorf("legacy with a pin: %+v", rep)
	}
	rep, _ = SelfGet(app, nil, "", "private", "android", false)
	if rep.Channel != "private" || rep.Status != "default" {
		t.Errorf("legacy defaultChannel: %+v", rep)
	}
	if _, code := SelfGet(app, nil, "", "nightly", "android", false); code != protocol.CodeChannelNotFound {
		t.Errorf("legacy unknown defaultChannel: %q", code)
	}
	if _, code := SelfGet(app, nil, "", "", "electron", false); code != "" {
		t.Errorf("legacy electron: %q", code)
	}

	if got := SelfUnset(pinned, false); got.Code != protocol.CodeCannotOverride {
		t.Errorf("unset a pin: %+v", got)
	}
	if got := SelfUnset(nil, false); got.Code != protocol.CodeCannotOverride {
		t.Errorf("unset nothing: %+v", got)
	}
	if got := SelfUnset(beta, false); got.Action != DropOverride {
		t.Errorf("unset a self-assignment: %+v", got)
	}
	if got := SelfUnset(pinned, true); got.Code != "" || got.Action != KeepOverride {
		t.Errorf("new plugin unset: %+v", got)
	}

	list := SelfList(app, "android", false, true)
	if len(list) != 2 || list[0].Name != "production" || !list[0].Public || list[1].Name != "beta" {
		t.Errorf("list: %+v", list)
	}
	if list := SelfList(app, "electron", false, true); len(list) != 3 || list[2].Name != "desktop" {
		t.Errorf("electron list: %+v", list)
	}
	app.Channel("beta").Policy.AllowEmulator = false
	if list := SelfList(app, "android", true, true); len(list) != 1 {
		t.Errorf("emulator list: %+v", list)
	}
}
