package sim

import (
	"errors"
	"net/url"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/vclock"
)

// checkResult reads an /updates reply as the plugin does
// (A/CapgoUpdater.java:2219 makeJsonRequest, A/CapacitorUpdaterPlugin.java
// :4598 normalizedUpdateResponseKind): no reply, a 429, an error status
// without the protocol's error, a body that is not JSON and a kind the
// plugin does not know are all failures; a reply with an error or a kind
// is read before its version.
func (e *engine) checkResult(j *job) device.CheckResult {
	r := &j.res
	cr := device.CheckResult{Status: r.Status, Kind: protocol.KindFailed}
	if j.local || (r.Err != nil && !errors.Is(r.Err, client.ErrInvalidReply)) {
		cr.Status = 0
		return cr
	}
	u := &j.upd
	cr.Code = u.Error
	if r.Status == 429 {
		cr.Block = e.blockOf(j)
	}
	if r.Err != nil {
		return cr // not JSON
	}
	if u.Error != "" || u.Kind != "" {
		switch u.Kind {
		case protocol.KindUpToDate, protocol.KindBlocked:
			cr.Kind = u.Kind
		}
		return cr
	}
	if r.Status < 200 || r.Status > 299 || u.Version == "" {
		return cr
	}
	cr.Kind = ""
	cr.Update = true
	s := &e.devs[j.dev]
	switch {
	case u.Version == protocol.Builtin:
		cr.Bundle = device.Builtin
		return cr
	case u.Version == e.versionName(j.dev, s.Running):
		cr.Bundle = s.Running
		return cr
	}
	idx, ok := e.bundles.lookup(u.Version)
	if !ok || idx == device.Builtin {
		cr.Update, cr.Kind = false, protocol.KindFailed
		return cr
	}
	cr.Bundle = idx
	if pu, err := url.Parse(u.URL); (u.URL == "" || err != nil || pu.Scheme == "") && len(u.Manifest) == 0 {
		cr.NoURL = true
		return cr
	}
	cr.Manifest = len(u.Manifest) > 0
	e.side.add(j.dev).dl = pendingDownload{url: u.URL, checksum: u.Checksum, session: u.SessionKey, manifest: u.Manifest}
	return cr
}

// blockOf is a 429's block in ms from its retry hints (client.Result).
func (e *engine) blockOf(j *job) int64 {
	r := &j.res
	if r.RetryAfter >= 0 {
		return r.RetryAfter.Milliseconds()
	}
	if r.ResetAt > 0 {
		return r.ResetAt - (vclock.EpochMilli + e.curAt)
	}
	return 0
}

// channelResult reads a /channel_self reply as the plugin does
// (A/CapgoUpdater.java:2413 setChannel, :2489 getChannel).
func (e *engine) channelResult(j *job) device.ChannelResult {
	r := &j.res
	cr := device.ChannelResult{Kind: j.chKind, Status: r.Status, Code: j.ch.Error, Channel: device.None}
	if j.local || r.Err != nil {
		if j.local || !errors.Is(r.Err, client.ErrInvalidReply) {
			cr.Status = 0
		}
		return cr
	}
	if r.Status == 429 {
		cr.Block = e.blockOf(j)
	}
	cr.OK = r.Status >= 200 && r.Status <= 299 && j.ch.Error == ""
	if !cr.OK {
		return cr
	}
	c := &e.pop.Cohorts[e.attrs[j.dev].Cohort]
	switch j.chKind {
	case device.ReqChannelSet:
		if j.ch.Unset {
			cr.Channel = e.channelIndex(c.Channel)
		} else {
			cr.Channel = e.channelIndex(j.channel)
		}
	case device.ReqChannelGet:
		if j.ch.Channel != protocol.Builtin {
			cr.Channel = e.channelIndex(j.ch.Channel)
		}
	}
	return cr
}
