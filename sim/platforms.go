package sim

import (
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/device"
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

// initPlatforms fills the per-cohort platform indexes and version codes.
func (e *engine) initPlatforms() {
	var byName map[string]uint8
	e.plats, byName = newPlatforms()
	e.cohortPlat = make([][]uint8, len(e.pop.Cohorts))
	e.versionCodes = make([][]string, len(e.pop.Cohorts))
	for c := range e.pop.Cohorts {
		co := &e.pop.Cohorts[c]
		for _, n := range co.Platforms.Names {
			e.cohortPlat[c] = append(e.cohortPlat[c], byName[n])
		}
		for _, v := range co.Natives.Names {
			e.versionCodes[c] = append(e.versionCodes[c], versionCode(v))
		}
	}
}

// platOf is the index of a device's platform in e.plats.
func (e *engine) platOf(dev uint32) uint8 {
	a := &e.attrs[dev]
	return e.cohortPlat[a.Cohort][a.Platform]
}

// userAgent is the plugin's User-Agent, "CapacitorUpdater/<plugin
// version> (<app id>) <platform>/<os version>" (A/DownloadService.java:117
// buildUserAgent, I/CapgoUpdater.swift:105).
func (e *engine) userAgent(dev uint32) string {
	a := &e.attrs[dev]
	pl := &e.plats[e.platOf(dev)]
	return "CapacitorUpdater/" + e.pop.Cohorts[a.Cohort].PluginVersion + " (" + e.sc.App.ID + ") " +
		pl.dev.Name + "/" + pl.versionOS
}

// deadline applies the platform's bound on a whole download: a transfer
// that the modelled network would not finish in time is cut where it
// stands (at speed 1 the real transfer is bounded).
func (e *engine) deadline(j *job, p *scenarios.NetworkProfile) {
	d := e.Platform(j.dev).DownloadDeadline
	if d <= 0 {
		return
	}
	j.opt.Deadline = time.Duration(d) * time.Millisecond
	if e.set.speed == 1 || p == nil || p.Bandwidth <= 0 {
		return
	}
	if e.modelled(j) <= d {
		return
	}
	by := int64(float64(p.Bandwidth) * float64(max(d-e.rtt(j.dev, j.intendedMs), 0)) / 1000)
	if by < 1 {
		by = 1
	}
	if j.opt.CutAfter == 0 || by < j.opt.CutAfter {
		j.opt.CutAfter = min(by, max(j.size-1, 1))
	}
}
