package sim

import (
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/population"
)

// platform is a device platform: the plugin's behaviour (device.Platform)
// and what its devices put on the wire.
type platform struct {
	dev device.Platform
	// versionOS is version_os (Build.VERSION.RELEASE, UIDevice
	// systemVersion); installSource install_source (A/CapgoUpdater.java:177
	// "google_play", I/CapgoUpdater.swift:458 "app_store").
	versionOS, installSource string
}

// newPlatforms returns the platforms by name: android, ios, and electron
// (which the backend accepts; it runs the Android data).
func newPlatforms() ([]platform, map[string]uint8) {
	plats := []platform{
		{dev: device.Android(), versionOS: "14", installSource: "google_play"},
		{dev: device.IOS(), versionOS: "17.5", installSource: "app_store"},
		{dev: device.Android(), versionOS: "30.0.0", installSource: ""},
	}
	plats[2].dev.Name = protocol.PlatformElectron
	return plats, map[string]uint8{protocol.PlatformAndroid: 0, protocol.PlatformIOS: 1, protocol.PlatformElectron: 2}
}

// platformTable is what each cohort's devices run and send, by the
// cohort's platform and native version choices (population.Attrs).
type platformTable struct {
	plats []platform
	// byChoice[cohort][platform choice] is the index of a platform,
	// agent[cohort][platform choice] its devices' User-Agent;
	// versionCodes[cohort][native choice] a native version's version_code.
	byChoice     [][]uint8
	agent        [][]string
	versionCodes [][]string
}

func newPlatformTable(pop *population.Population, appID string) platformTable {
	var t platformTable
	var byName map[string]uint8
	t.plats, byName = newPlatforms()
	n := len(pop.Cohorts)
	t.byChoice, t.agent, t.versionCodes = make([][]uint8, n), make([][]string, n), make([][]string, n)
	for c := range pop.Cohorts {
		co := &pop.Cohorts[c]
		for _, name := range co.Platforms.Names {
			p := byName[name]
			t.byChoice[c] = append(t.byChoice[c], p)
			t.agent[c] = append(t.agent[c], userAgent(co.PluginVersion, appID, &t.plats[p]))
		}
		for _, v := range co.Natives.Names {
			t.versionCodes[c] = append(t.versionCodes[c], versionCode(v))
		}
	}
	return t
}

// userAgent is the plugin's User-Agent, "CapacitorUpdater/<plugin
// version> (<app id>) <platform>/<os version>" (A/DownloadService.java:117
// buildUserAgent, I/CapgoUpdater.swift:105).
func userAgent(pluginVersion, appID string, pl *platform) string {
	return "CapacitorUpdater/" + pluginVersion + " (" + appID + ") " + pl.dev.Name + "/" + pl.versionOS
}

// of is a device's platform.
func (t *platformTable) of(a *population.Attrs) *platform {
	return &t.plats[t.byChoice[a.Cohort][a.Platform]]
}

// userAgent is a device's User-Agent.
func (e *engine) userAgent(dev uint32) string {
	a := &e.attrs[dev]
	return e.plats.agent[a.Cohort][a.Platform]
}

// apiTimeouts are the platforms' own bounds on an API call, by name, for
// client.Config.PlatformTimeouts: the platform's, or the response timeout
// when that is shorter (a run told to give up sooner does so on every
// platform); the others use the response timeout.
func apiTimeouts(response time.Duration) map[string]time.Duration {
	plats, _ := newPlatforms()
	out := map[string]time.Duration{}
	for _, p := range plats {
		if p.dev.APITimeout > 0 {
			out[p.dev.Name] = min(time.Duration(p.dev.APITimeout)*time.Millisecond, response)
		}
	}
	return out
}
