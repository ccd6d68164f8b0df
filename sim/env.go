package sim

import (
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/device"
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

func (e *engine) Mode(dev uint32) uint8 { return e.pop.Cohorts[e.attrs[dev].Cohort].UpdateMode }

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

func (e *engine) SelfAssign(dev uint32) bool {
	return e.pop.Cohorts[e.attrs[dev].Cohort].SelfAssign != ""
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
	case device.ReqChannelSelf:
		j := e.newJob(jobChannel, dev)
		j.channel = e.pop.Cohorts[e.attrs[dev].Cohort].SelfAssign
		e.dispatch(j)
	case device.ReqDownload:
		j := e.newJob(jobDownload, dev)
		p := e.dl[dev]
		delete(e.dl, dev)
		j.url, j.checksum, j.bundle = p.url, p.checksum, arg
		j.size = e.bundles.size[arg]
		e.dispatch(j)
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
	case device.NoteFailure:
		e.rec.Failure(c, b, n.Action)
		if n.Action == protocol.ActionUpdateFail {
			e.rec.FailedLaunch(c, b)
		}
	case device.NoteAbandon:
		e.rec.Abandon(c, b)
	}
}

// channelOf is the channel a device asks for (defaultChannel).
func (e *engine) channelOf(dev uint32) string {
	s := &e.devs[dev]
	c := &e.pop.Cohorts[e.attrs[dev].Cohort]
	if c.SelfAssign != "" && s.Has(device.FlagSelfAssigned) {
		return c.SelfAssign
	}
	return c.Channel
}

// info builds the info object of a device (the plugin sends it whole with
// every request).
func (e *engine) info(dev uint32, version uint8) protocol.Info {
	a := &e.attrs[dev]
	return protocol.Info{
		Platform: e.pop.Platform(a), DeviceID: e.pop.DeviceID(dev), AppID: e.sc.App.ID,
		VersionBuild: e.pop.Native(a), VersionOS: "17.0", VersionName: e.bundles.name(version),
		PluginVersion: protocol.PluginVersion, IsProd: true, DefaultChannel: e.channelOf(dev),
	}
}
