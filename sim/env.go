package sim

import (
	"fmt"
	"strconv"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/population"
	"github.com/otasim/otasim/sim/sched"
)

// The engine is the devices' Env.
var _ device.Env = (*engine)(nil)

// Draw purposes of the engine (population.PurposeUser and above).
const (
	purposeNotReady = population.PurposeUser + iota
	purposeCorrupt
	purposeJSError
	purposeNetFail
	purposeJitter
	purposeOffline
	purposeCut
)

func (e *engine) Behaviour(dev uint32) *device.Behaviour {
	return &e.pop.Cohorts[e.attrs[dev].Cohort].Plugin
}

func (e *engine) Platform(dev uint32) *device.Platform {
	return &e.plats.of(&e.attrs[dev]).dev
}

func (e *engine) InWindow(dev uint32, now int64) bool {
	a := &e.attrs[dev]
	return e.pop.Cohorts[a.Cohort].InWindow(population.LocalMinute(now, a.TZOffsetMin))
}

func (e *engine) UntilWindow(dev uint32, now int64) int64 {
	a := &e.attrs[dev]
	c := &e.pop.Cohorts[a.Cohort]
	if !c.HasWindow {
		return -1
	}
	m := population.LocalMinute(now, a.TZOffsetMin)
	if c.InWindow(m) {
		return 0
	}
	wait := (c.WindowStart - m + 1440) % 1440
	return int64(wait)*60_000 - now%60_000
}

func (e *engine) NotReady(dev uint32, b uint8) bool {
	d := e.bundles.defects(b)
	if d == nil {
		return false
	}
	a := &e.attrs[dev]
	p := d.NotReadyFor(e.pop.Cohorts[a.Cohort].Segment, e.pop.Platform(a))
	return p > 0 && e.pop.Uniform(dev, purposeNotReady, uint64(b)) < p
}

func (e *engine) Send(dev uint32, kind uint8, arg uint8) {
	switch kind {
	case device.ReqCheck:
		e.dispatch(e.newJob(jobCheck, dev))
	case device.ReqChannelSet, device.ReqChannelGet, device.ReqChannelList, device.ReqChannelUnset:
		j := e.newJob(jobChannel, dev)
		j.chKind = kind
		j.channel = e.pop.Cohorts[e.attrs[dev].Cohort].SelfAssign
		e.dispatch(j)
	case device.ReqDownload:
		j := e.newJob(jobDownload, dev)
		var p pendingDownload
		if sd := e.side.get(dev); sd != nil {
			p, sd.dl = sd.dl, pendingDownload{}
		}
		j.url, j.checksum, j.session, j.bundle = p.url, p.checksum, p.session, arg
		if len(p.manifest) > 0 {
			e.prepareFiles(j, p)
		} else {
			j.size = e.bundles.size[arg]
			e.zipCrypt(j)
		}
		e.dispatch(j)
		e.side.release(dev)
	}
}

func (e *engine) After(dev uint32, delay int64, kind uint8, arg uint32) {
	e.q.Push(sched.Event{At: e.curAt + delay, Device: dev, Kind: kind, Arg: arg})
}

func (e *engine) Note(dev uint32, n device.Note) {
	c := int(e.attrs[dev].Cohort)
	b := e.bundles.name(n.Bundle)
	switch n.Kind {
	case device.NoteAttempt:
		e.rec.Attempt(c, b)
	case device.NoteSuccess:
		e.rec.Success(c, b, time.Duration(n.Arg)*time.Millisecond)
		kind := metrics.Zip
		if e.bundles.manifest(n.Bundle) {
			kind = metrics.Manifest
		}
		e.deliv.Install(kind, c, int(e.attrs[dev].Profile), n.Arg)
	case device.NoteFailure:
		e.rec.Failure(c, b, n.Action)
		if n.Action == protocol.ActionUpdateFail {
			e.rec.FailedLaunch(c, b)
		}
	case device.NoteAbandon:
		e.rec.Abandon(c, b)
	}
}

// versionName is the version_name a device sends for bundle b: the
// builtin bundle goes by the app's native version (A/BundleInfo.java
// getVersionName of the builtin, CapgoUpdater.java:3181).
func (e *engine) versionName(dev uint32, b uint8) string {
	if b == device.Builtin {
		return e.pop.Native(&e.attrs[dev])
	}
	return e.bundles.name(b)
}

// channelIndex is the index of a channel name in the app's channels
// (device.None for "" or an unknown name).
func (e *engine) channelIndex(name string) uint8 {
	for i, c := range e.sc.App.Channels {
		if c.Name == name && i < int(device.None) {
			return uint8(i)
		}
	}
	return device.None
}

// channelOf is the channel a device asks for (defaultChannel).
func (e *engine) channelOf(dev uint32) string {
	if i := e.devs[dev].Channel; i != device.None {
		return e.sc.App.Channels[i].Name
	}
	return ""
}

// info builds the info object of a device as its platform's plugin does
// (A/CapgoUpdater.java:1969 createInfoObject, I/CapgoUpdater.swift:1018):
// every field, empty ones as "", key_id only with an encryption key.
func (e *engine) info(dev uint32, version uint8) protocol.Info {
	a := &e.attrs[dev]
	c := &e.pop.Cohorts[a.Cohort]
	pl := e.plats.of(a)
	ch := e.channelOf(dev)
	return protocol.Info{
		Platform: pl.dev.Name, DeviceID: e.pop.DeviceID(dev), AppID: e.sc.App.ID,
		VersionBuild: e.pop.Native(a), VersionCode: e.plats.versionCodes[a.Cohort][a.Native],
		VersionOS: pl.versionOS, VersionName: e.versionName(dev, version),
		PluginVersion: c.PluginVersion, IsProd: true, InstallSource: pl.installSource,
		DefaultChannel: ch, KeyID: e.keyID,
	}
}

// versionCode is the Android versionCode (or iOS build number) the engine
// gives a native version: major*10000 + minor*100 + patch.
func versionCode(v string) string {
	var major, minor, patch int
	_, _ = fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch)
	return strconv.Itoa(major*10000 + minor*100 + patch)
}
