package release

import (
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

func info() protocol.Info {
	return protocol.Info{Platform: "android", DeviceID: "00000000-0000-0000-0000-000000000001",
		AppID: "com.example.app", VersionBuild: "1.0.0", VersionName: "builtin",
		PluginVersion: protocol.PluginVersion, IsProd: true}
}

func TestDecide(t *testing.T) {
	type edit func(s *Snapshot, r *Request)
	prod := func(f func(c *Channel)) edit {
		return func(s *Snapshot, _ *Request) { f(s.Apps["com.example.app"].Channel("production")) }
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
		{"missing device id", func(_ *Snapshot, r *Request) { r.Info.DeviceID = "" }, 200, protocol.CodeMissingInfo, ""},
		{"missing version_name", func(_ *Snapshot, r *Request) { r.Info.VersionName = "" }, 200, protocol.CodeMissingInfo, ""},
		{"bad native semver", func(_ *Snapshot, r *Request) { r.Info.VersionBuild = "one.two" }, 200, protocol.CodeSemverError, ""},
		{"coerced native version", func(_ *Snapshot, r *Request) { r.Info.VersionBuild = "1" }, 200, "", "1.1.0"},
		{"already on the bundle", func(_ *Snapshot, r *Request) { r.Info.VersionName = "1.1.0" }, 200, protocol.CodeNoNewVersion, ""},
		{"builtin equal to the bundle", func(_ *Snapshot, r *Request) { r.Info.VersionBuild = "1.1.0" }, 200, protocol.CodeNoNewVersion, ""},
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
		{"no bundle on channel", prod(func(c *Channel) { c.Bundle = "" }), 200, protocol.CodeNoBundle, ""},
		{"bundle without bytes", prod(func(c *Channel) { c.Bundle = "3.0.0" }), 200, protocol.CodeNoBundle, ""},
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
		}, 200, protocol.CodeNoBundle, ""},
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
		{"channel on builtin, device on builtin", prod(func(c *Channel) { c.Bundle = "builtin" }), 200, protocol.CodeAlreadyOnBuiltin, ""},
		{"running rollout at 100% serves its bundle", prod(func(c *Channel) {
			c.Rollout = &Rollout{ID: 1, Bundle: "1.2.0", PercentBP: MaxPercentBP, State: RolloutRunning}
		}), 200, "", "1.2.0"},
		{"rollout at 0% serves stable", prod(func(c *Channel) {
			c.Rollout = &Rollout{ID: 1, Bundle: "1.2.0", PercentBP: 0, State: RolloutRunning}
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
			r := Request{Info: info()}
			if tt.edit != nil {
				tt.edit(s, &r)
			}
			got := Decide(s, r)
			if got.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.Status, tt.wantStatus)
			}
			if tt.wantCode == "" {
				if got.Update == nil {
					t.Fatalf("got error %+v, want update %s", got.Err, tt.wantVer)
				}
				if got.Update.Version != tt.wantVer {
					t.Errorf("version = %q, want %q", got.Update.Version, tt.wantVer)
				}
				return
			}
			if got.Update != nil {
				t.Fatalf("got update %+v, want error %s", got.Update, tt.wantCode)
			}
			if got.Err.Error != tt.wantCode {
				t.Errorf("code = %q (%s), want %q", got.Err.Error, got.Err.Message, tt.wantCode)
			}
			if got.Err.Kind != protocol.KindOf(tt.wantCode) || got.Err.Kind == "" {
				t.Errorf("kind = %q, want %q", got.Err.Kind, protocol.KindOf(tt.wantCode))
			}
			if got.Err.Version != tt.wantVer {
				t.Errorf("version detail = %q, want %q", got.Err.Version, tt.wantVer)
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
	native, _ := CoerceVersion("1.0.0")
	got := decideOnChannel(app, ch, false, ch.Bundle, info(), native)
	if got.Err.Error != protocol.CodePrivateChannel {
		t.Fatalf("code = %q, want %q", got.Err.Error, protocol.CodePrivateChannel)
	}
	got = decideOnChannel(app, ch, true, ch.Bundle, info(), native)
	if got.Update == nil {
		t.Fatalf("with override: %+v, want an update", got.Err)
	}
}

func TestDecideUpdateCarriesURLAndChecksum(t *testing.T) {
	got := Decide(fixture(), Request{Info: info()})
	if got.Update == nil || got.Update.URL != "http://cdn/1.1.0" || got.Update.Checksum != "sha-1.1.0" {
		t.Fatalf("got %+v", got.Update)
	}
	if got.Channel != "production" || got.Bundle != "1.1.0" {
		t.Errorf("channel, bundle = %q, %q", got.Channel, got.Bundle)
	}
}

func BenchmarkDecide(b *testing.B) {
	s := fixture()
	r := Request{Info: info()}
	b.ReportAllocs()
	for b.Loop() {
		Decide(s, r)
	}
}
