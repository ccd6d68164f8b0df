package release

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/otasim/otasim/protocol"
)

// fixture: app com.example.app with bundles 1.0.0, 1.1.0, 1.2.0, 2.0.0,
// 0.9.0, builtin and channels production (public, 1.1.0), beta (self-set,
// 1.2.0), private (neither, 1.2.0), empty (public on electron only, no
// bundle).
func fixture() *Snapshot {
	s := NewSnapshot()
	app := &App{ID: "com.example.app", Bundles: map[string]*Bundle{}}
	for _, n := range []string{"0.9.0", "1.0.0", "1.1.0", "1.2.0", "2.0.0", "1.0.1", "1.1.0-beta.1"} {
		app.Bundles[n] = &Bundle{AppID: app.ID, Name: n, Path: "/x/" + n, SHA256: "sha-" + n, URL: "http://cdn/" + n, MinNative: "1.0.0"}
	}
	app.Bundles["1.5.0"] = &Bundle{AppID: app.ID, Name: "1.5.0", Path: "/x/1.5.0", MinNative: "1.3.0"}
	app.Bundles["1.6.0"] = &Bundle{AppID: app.ID, Name: "1.6.0", Path: "/x/1.6.0"}
	app.Bundles["builtin"] = &Bundle{AppID: app.ID, Name: "builtin"}
	app.Bundles["3.0.0"] = &Bundle{AppID: app.ID, Name: "3.0.0"} // no bytes
	app.Bundles["4.0.0"] = &Bundle{AppID: app.ID, Name: "4.0.0", ExternalURL: "https://files.example/4.0.0.zip", URL: "https://files.example/4.0.0.zip"}
	app.Bundles["4.1.0"] = &Bundle{AppID: app.ID, Name: "4.1.0", ExternalURL: "ftp://files.example/4.1.0.zip", URL: "ftp://files.example/4.1.0.zip"}
	app.Bundles["0.8.0"] = &Bundle{AppID: app.ID, Name: "0.8.0", Deleted: true}
	pub := DefaultPolicy()
	pub.Public = true
	self := DefaultPolicy()
	self.AllowSelfSet = true
	elec := DefaultPolicy()
	elec.Public, elec.IOS, elec.Android = true, false, false
	app.Channels = []*Channel{
		{ID: 1, AppID: app.ID, Name: "production", Policy: pub, Bundle: "1.1.0"},
		{ID: 2, AppID: app.ID, Name: "beta", Policy: self, Bundle: "1.2.0"},
		{ID: 3, AppID: app.ID, Name: "private", Policy: DefaultPolicy(), Bundle: "1.2.0"},
		{ID: 4, AppID: app.ID, Name: "desktop", Policy: elec},
	}
	s.Apps[app.ID] = app
	return s
}

// info is a device on its builtin bundle of native version 1.0.0, as
// Decide receives it: version_name already read as the version_build.
func info() protocol.Info {
	return protocol.Info{Platform: "android", DeviceID: "00000000-0000-0000-0000-000000000001",
		AppID: "com.example.app", VersionBuild: "1.0.0", VersionName: "1.0.0",
		PluginVersion: protocol.PluginVersion, IsProd: true}
}

func plugin(t testing.TB, v string) Plugin {
	t.Helper()
	p, ok := ParsePlugin(v)
	if !ok {
		t.Fatalf("plugin version %q does not parse", v)
	}
	return p
}

func TestDecide(t *testing.T) {
	type edit func(s *Snapshot, r *Request)
	prod := func(f func(c *Channel)) edit {
		return func(s *Snapshot, _ *Request) { f(s.Apps["com.example.app"].Channel("production")) }
	}
	pluginAt := func(v string) edit {
		return func(_ *Snapshot, r *Request) { r.Plugin, _ = ParsePlugin(v) }
	}
	tests := []struct {
		name       string
		edit       edit
		wantStatus int
		wantCode   string // "" = update offered
		wantVer    string
	}{
		{"builtin device gets the production bundle", nil, 200, "", "1.1.0"},
		{"unknown app", func(_ *Snapshot, r *Request) { r.Info.AppID = "com.other.app" }, http.StatusTooManyRequests, protocol.CodeOnPremiseApp, ""},
		{"plugin v4 is refused", pluginAt("4.9.9"), 200, protocol.CodeUnsupportedPlugin, ""},
		{"plugin v3 is not", pluginAt("3.0.0"), 200, "", "1.1.0"},
		{"already on the bundle", func(_ *Snapshot, r *Request) { r.Info.VersionName = "1.1.0" }, 200, protocol.CodeNoNewVersion, ""},
		{"builtin equal to the bundle", func(_ *Snapshot, r *Request) { r.Info.VersionBuild, r.Info.VersionName = "1.1.0", "1.1.0" }, 200, protocol.CodeNoNewVersion, ""},
		{"no public channel", func(s *Snapshot, _ *Request) {
			s.Apps["com.example.app"].Channel("production").Policy.Public = false
		}, 200, protocol.CodeNoChannel, ""},
		{"defaultChannel self-assignable", func(_ *Snapshot, r *Request) { r.Info.DefaultChannel = "beta" }, 200, "", "1.2.0"},
		{"defaultChannel unknown, no fallback", func(_ *Snapshot, r *Request) { r.Info.DefaultChannel = "nope" }, 200, protocol.CodeNoChannel, ""},
		{"defaultChannel private, no fallback", func(_ *Snapshot, r *Request) { r.Info.DefaultChannel = "private" }, 200, protocol.CodeNoChannel, ""},
		{"defaultChannel disabled for platform", func(s *Snapshot, r *Request) {
			r.Info.DefaultChannel = "beta"
			s.Apps["com.example.app"].Channel("beta").Policy.Android = false
		}, 200, protocol.CodeNoChannel, ""},
		{"override to a private channel", func(_ *Snapshot, r *Request) { r.Override = "private" }, 200, "", "1.2.0"},
		{"override wins over defaultChannel", func(_ *Snapshot, r *Request) { r.Override = "production"; r.Info.DefaultChannel = "beta" }, 200, "", "1.1.0"},
		{"a channel without a bundle serves builtin", prod(func(c *Channel) { c.Bundle = "" }), 200, protocol.CodeAlreadyOnBuiltin, "builtin"},
		{"bundle without bytes", prod(func(c *Channel) { c.Bundle = "3.0.0" }), 200, protocol.CodeNoBundle, ""},
		{"external bundle", prod(func(c *Channel) { c.Bundle = "4.0.0" }), 200, "", "4.0.0"},
		{"external bundle without an http URL", prod(func(c *Channel) { c.Bundle = "4.1.0" }), 200, protocol.CodeNoBundleURL, ""},
		{"deleted stable bundle hides the public channel", prod(func(c *Channel) { c.Bundle = "0.8.0" }), 200, protocol.CodeNoChannel, ""},
		{"deleted bundle hides the defaultChannel", func(s *Snapshot, r *Request) {
			r.Info.DefaultChannel = "beta"
			s.Apps["com.example.app"].Channel("beta").Bundle = "0.8.0"
		}, 200, protocol.CodeNoChannel, ""},
		{"override on a deleted bundle falls back", func(s *Snapshot, r *Request) {
			r.Override = "private"
			s.Apps["com.example.app"].Channel("private").Bundle = "0.8.0"
		}, 200, "", "1.1.0"},
		{"public channels by name", func(s *Snapshot, _ *Request) {
			a := s.Apps["com.example.app"]
			a.Channel("beta").Policy.Public = true // beta < production
		}, 200, "", "1.2.0"},
		{"key id mismatch", func(_ *Snapshot, r *Request) { r.Info.KeyID = "other" }, 200, "", "1.1.0"},
		{"key id mismatch on an encrypted bundle", func(s *Snapshot, r *Request) {
			r.Info.KeyID = "other"
			s.Apps["com.example.app"].Bundles["1.1.0"].KeyID = "mine"
		}, 200, protocol.CodeKeyIDMismatch, ""},
		{"key id not checked up to 8.40.7", func(s *Snapshot, r *Request) {
			r.Info.KeyID, r.Plugin = "other", plugin(t, "8.40.7")
			s.Apps["com.example.app"].Bundles["1.1.0"].KeyID = "mine"
		}, 200, "", "1.1.0"},
		{"platform disabled (override)", func(s *Snapshot, r *Request) {
			r.Override = "production"
			s.Apps["com.example.app"].Channel("production").Policy.Android = false
		}, 200, protocol.CodeDisabledPlatformAndroid, "1.1.0"},
		{"ios disabled (override)", func(s *Snapshot, r *Request) {
			r.Override = "production"
			r.Info.Platform = "ios"
			s.Apps["com.example.app"].Channel("production").Policy.IOS = false
		}, 200, protocol.CodeDisabledPlatformIOS, "1.1.0"},
		{"first public channel serving the platform", func(s *Snapshot, r *Request) {
			r.Info.Platform = "electron"
			s.Apps["com.example.app"].Channel("production").Policy.Electron = false
		}, 200, protocol.CodeAlreadyOnBuiltin, "builtin"},
		{"disable major", prod(func(c *Channel) { c.Bundle = "2.0.0"; c.Policy.DisableAutoUpdate = DisableMajor }), 200, protocol.CodeDisableMajor, "2.0.0"},
		{"disable major allows minor", prod(func(c *Channel) { c.Policy.DisableAutoUpdate = DisableMajor }), 200, "", "1.1.0"},
		{"disable minor", prod(func(c *Channel) { c.Policy.DisableAutoUpdate = DisableMinor }), 200, protocol.CodeDisableMinor, "1.1.0"},
		{"disable minor allows patch", prod(func(c *Channel) { c.Bundle = "1.0.1"; c.Policy.DisableAutoUpdate = DisableMinor }), 200, "", "1.0.1"},
		{"disable patch", prod(func(c *Channel) { c.Bundle = "1.0.1"; c.Policy.DisableAutoUpdate = DisablePatch }), 200, protocol.CodeDisablePatch, "1.0.1"},
		{"version_number below min native", prod(func(c *Channel) { c.Bundle = "1.5.0"; c.Policy.DisableAutoUpdate = DisableVersionNumber }), 200, protocol.CodeDisableMetadata, "1.5.0"},
		{"version_number met", prod(func(c *Channel) { c.Policy.DisableAutoUpdate = DisableVersionNumber }), 200, "", "1.1.0"},
		{"version_number without min", prod(func(c *Channel) { c.Bundle = "1.6.0"; c.Policy.DisableAutoUpdate = DisableVersionNumber }), 200, protocol.CodeMisconfiguredChannel, "1.6.0"},
		{"under native", prod(func(c *Channel) { c.Bundle = "0.9.0"; c.Policy.DisableUnderNative = true }), 200, protocol.CodeDisableUnderNative, "0.9.0"},
		{"under native off allows downgrade", prod(func(c *Channel) { c.Bundle = "0.9.0" }), 200, "", "0.9.0"},
		{"prerelease under native", prod(func(c *Channel) { c.Bundle = "1.1.0-beta.1"; c.Policy.DisableUnderNative = true }), 200, "", "1.1.0-beta.1"},
		{"prod disabled", prod(func(c *Channel) { c.Policy.AllowProd = false }), 200, protocol.CodeDisableProdBuild, "1.1.0"},
		{"dev disabled", func(s *Snapshot, r *Request) {
			r.Info.IsProd = false
			s.Apps["com.example.app"].Channel("production").Policy.AllowDev = false
		}, 200, protocol.CodeDisableDevBuild, "1.1.0"},
		{"device disabled", prod(func(c *Channel) { c.Policy.AllowDevice = false }), 200, protocol.CodeDisableDevice, "1.1.0"},
		{"emulator disabled", func(s *Snapshot, r *Request) {
			r.Info.IsEmulator = true
			s.Apps["com.example.app"].Channel("production").Policy.AllowEmulator = false
		}, 200, protocol.CodeDisableEmulator, "1.1.0"},
		{"channel on builtin resets a device", func(s *Snapshot, r *Request) {
			r.Info.VersionName = "1.1.0"
			s.Apps["com.example.app"].Channel("production").Bundle = "builtin"
		}, 200, protocol.CodeAlreadyOnBuiltin, "builtin"},
		{"channel on builtin, device on builtin", prod(func(c *Channel) { c.Bundle = "builtin" }), 200, protocol.CodeAlreadyOnBuiltin, "builtin"},
		{"builtin needs plugin 6.2.0", func(s *Snapshot, r *Request) {
			r.Plugin = plugin(t, "6.1.9")
			s.Apps["com.example.app"].Channel("production").Bundle = "builtin"
		}, 200, protocol.CodeRevertPluginTooOld, ""},
		{"builtin with plugin 6.2.0", func(s *Snapshot, r *Request) {
			r.Plugin = plugin(t, "6.2.0")
			s.Apps["com.example.app"].Channel("production").Bundle = "builtin"
		}, 200, protocol.CodeAlreadyOnBuiltin, "builtin"},
		{"running rollout at 100% serves its bundle", prod(func(c *Channel) {
			c.Rollout = &Rollout{ID: 1, Bundle: "1.2.0", PercentBP: MaxPercentBP, State: RolloutRunning}
		}), 200, "", "1.2.0"},
		{"rollout at 0% serves stable", prod(func(c *Channel) {
			c.Rollout = &Rollout{ID: 1, Bundle: "1.2.0", PercentBP: 0, State: RolloutRunning}
		}), 200, "", "1.1.0"},
		{"rollout at 0% keeps devices on it", func(s *Snapshot, r *Request) {
			r.Info.VersionName = "1.2.0"
			s.Apps["com.example.app"].Channel("production").Rollout = &Rollout{ID: 1, Bundle: "1.2.0", PercentBP: 0, State: RolloutRunning}
		}, 200, protocol.CodeNoNewVersion, ""},
		{"rollout of a deleted bundle serves stable", prod(func(c *Channel) {
			c.Rollout = &Rollout{ID: 1, Bundle: "0.8.0", PercentBP: MaxPercentBP, State: RolloutRunning}
		}), 200, "", "1.1.0"},
		{"paused rollout keeps devices on it", func(s *Snapshot, r *Request) {
			r.Info.VersionName = "1.2.0"
			s.Apps["com.example.app"].Channel("production").Rollout = &Rollout{ID: 1, Bundle: "1.2.0", PercentBP: 0, State: RolloutPaused}
		}, 200, protocol.CodeNoNewVersion, ""},
		{"paused rollout admits no new device", prod(func(c *Channel) {
			c.Rollout = &Rollout{ID: 1, Bundle: "1.2.0", PercentBP: MaxPercentBP, State: RolloutPaused}
		}), 200, "", "1.1.0"},
		{"rolled back rollout downgrades its devices", func(s *Snapshot, r *Request) {
			r.Info.VersionName = "1.2.0"
			s.Apps["com.example.app"].Channel("production").Rollout = &Rollout{ID: 1, Bundle: "1.2.0", State: RolloutRolledBack}
		}, 200, "", "1.1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fixture()
			r := Request{Info: info(), Plugin: plugin(t, protocol.PluginVersion)}
			if tt.edit != nil {
				tt.edit(s, &r)
			}
			got := Decide(s, r)
			if got.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.Status, tt.wantStatus)
			}
			if tt.wantCode == "" {
				if got.Offer == nil {
					t.Fatalf("got refusal %+v, want bundle %s", got.Refusal, tt.wantVer)
				}
				if got.Offer.Name != tt.wantVer {
					t.Errorf("version = %q, want %q", got.Offer.Name, tt.wantVer)
				}
				return
			}
			if got.Offer != nil {
				t.Fatalf("got bundle %s, want refusal %s", got.Offer.Name, tt.wantCode)
			}
			if got.Refusal.Code != tt.wantCode {
				t.Errorf("code = %q (%s), want %q", got.Refusal.Code, got.Refusal.Message, tt.wantCode)
			}
			if got.Refusal.Version != tt.wantVer {
				t.Errorf("version detail = %q, want %q", got.Refusal.Version, tt.wantVer)
			}
			major := tt.wantCode == protocol.CodeDisableMajor || tt.wantCode == protocol.CodeDisableMinor ||
				tt.wantCode == protocol.CodeDisablePatch || tt.wantCode == protocol.CodeDisableMetadata
			if got.Refusal.Major != major {
				t.Errorf("major = %v, want %v", got.Refusal.Major, major)
			}
		})
	}
}

func TestDecidePrivateChannelNeedsOverride(t *testing.T) {
	// A channel can only be reached without an override when it is public
	// or self-assignable, so the private-channel refusal is reached when a
	// self-assignable default channel loses both flags between resolution
	// and decision; decideOnChannel is exercised directly.
	s := fixture()
	app := s.Apps["com.example.app"]
	ch := app.Channel("private")
	r := Request{Info: info(), Plugin: plugin(t, protocol.PluginVersion)}
	got := decideOnChannel(app, ch, false, ch.Bundle, r)
	if got.Refusal.Code != protocol.CodePrivateChannel {
		t.Fatalf("code = %q, want %q", got.Refusal.Code, protocol.CodePrivateChannel)
	}
	got = decideOnChannel(app, ch, true, ch.Bundle, r)
	if got.Offer == nil {
		t.Fatalf("with override: %+v, want an offer", got.Refusal)
	}
}

func TestDecideMetadata(t *testing.T) {
	tests := []struct {
		plugin string
		expose bool
		want   bool
	}{
		{"8.35.0", true, true},
		{"8.34.9", true, false},
		{"8.35.0-beta.1", true, false},
		{"7.35.0", true, true},
		{"6.34.0", true, false},
		{"9.0.0", true, true},
		{"8.51.14", false, false},
	}
	for _, tt := range tests {
		s := fixture()
		app := s.Apps["com.example.app"]
		app.ExposeMetadata = tt.expose
		app.Bundles["1.1.0"].Link = "https://example.com/changelog"
		got := Decide(s, Request{Info: info(), Plugin: plugin(t, tt.plugin)})
		if got.Offer == nil || got.Metadata != tt.want {
			t.Errorf("plugin %s, expose %v: metadata %v, want %v (%+v)", tt.plugin, tt.expose, got.Metadata, tt.want, got.Refusal)
		}
	}
}

func TestDecideOfferNamesChannel(t *testing.T) {
	got := Decide(fixture(), Request{Info: info(), Plugin: plugin(t, protocol.PluginVersion)})
	if got.Offer == nil || got.Offer.URL != "http://cdn/1.1.0" || got.Offer.SHA256 != "sha-1.1.0" {
		t.Fatalf("got %+v", got)
	}
	if got.Channel != "production" || got.Bundle != "1.1.0" {
		t.Errorf("channel, bundle = %q, %q", got.Channel, got.Bundle)
	}
}

// A device already running a rollout's bundle keeps it whatever its hash
// says, running or paused (utils/rollout.ts:140-148); the others follow
// the hash.
func TestRolloutStickiness(t *testing.T) {
	s := fixture()
	app := s.Apps["com.example.app"]
	ch := app.Channel("production")
	ch.Rollout = &Rollout{ID: 7, Bundle: "1.2.0", PercentBP: 1, State: RolloutRunning}
	kept, moved := 0, 0
	for i := range 200 {
		id := fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		if Selected(7, id, 1) {
			continue // selected by its hash anyway
		}
		if BundleFor(app, ch, id, "1.2.0") == "1.2.0" {
			kept++
		}
		if BundleFor(app, ch, id, "1.0.0") == "1.2.0" {
			moved++
		}
	}
	if kept == 0 || moved != 0 {
		t.Fatalf("kept %d devices on the rollout bundle, moved %d onto it", kept, moved)
	}
	ch.Rollout.State = RolloutPaused
	if BundleFor(app, ch, "00000000-0000-0000-0000-000000000001", "1.2.0") != "1.2.0" {
		t.Error("a paused rollout drops a device running its bundle")
	}
}

func BenchmarkDecide(b *testing.B) {
	s := fixture()
	r := Request{Info: info(), Plugin: plugin(b, protocol.PluginVersion)}
	b.ReportAllocs()
	for b.Loop() {
		Decide(s, r)
	}
}
