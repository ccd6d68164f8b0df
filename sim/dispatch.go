package sim

import (
	"context"
	"errors"
	"math"
	"net/url"
	"sync"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/sched"
	"github.com/otasim/otasim/sim/vclock"
)

// Kinds of jobs.
const (
	jobCheck uint8 = iota + 1
	jobDownload
	jobChannel
	jobStats
	// jobPost: one stats event posted at once as a single object.
	jobPost
)

// job is one request: built by the engine, sent by a worker, handed back.
type job struct {
	kind       uint8
	dev        uint32
	intendedMs int64     // virtual
	intended   time.Time // wall
	info       protocol.Info
	channel    string
	chKind     uint8 // device.ReqChannel*
	url        string
	checksum   string
	session    string
	size       int64
	bundle     uint8
	nStats     int
	events     []protocol.StatsEvent
	opt        client.DownloadOptions
	crypt      device.Crypt
	manifest   *manifestJob // a per-file download
	fopt       client.FilesOptions
	shapeRTT   time.Duration // speed 1: the device's round trip, enforced
	picked     time.Time     // when a worker took the job
	// local: the device's network failed it; nothing was sent.
	local bool

	res client.Result
	upd protocol.UpdateReply
	ch  client.ChannelReply
	chs []protocol.ChannelListItem
	st  protocol.StatsReply
	dl  client.Download
}

func (e *engine) newJob(kind uint8, dev uint32) *job {
	s := &e.devs[dev]
	j := &job{kind: kind, dev: dev, intendedMs: e.curAt}
	j.intended = e.clk.WallForOffset(time.Duration(e.curAt) * time.Millisecond)
	j.info = e.info(dev, s.Running)
	j.opt.UserAgent = e.userAgent(dev)
	return j
}

// offline reports whether the device is in an offline spell at t.
func (e *engine) offline(dev uint32, t int64) bool {
	p := e.profile(dev)
	if p == nil || p.OfflineEvery <= 0 || p.OfflineFor <= 0 {
		return false
	}
	every := p.OfflineEvery.D().Milliseconds()
	phase := int64(e.pop.Uniform(dev, purposeOffline, 0) * float64(every))
	return (t+phase)%every < p.OfflineFor.D().Milliseconds()
}

// dispatch sends a job to the workers, or fails it on the device's side
// (offline, lost connection).
func (e *engine) dispatch(j *job) {
	if e.stopping {
		return
	}
	if j.kind != jobStats && j.kind != jobPost {
		e.busy[j.dev]++
		e.modelledUntil[j.dev] = max(e.modelledUntil[j.dev], j.intendedMs+e.modelled(j))
	}
	p := e.profile(j.dev)
	if j.kind != jobDownload && p != nil {
		if e.offline(j.dev, j.intendedMs) || (p.Failure > 0 && e.pop.Uniform(j.dev, purposeNetFail, uint64(j.intendedMs)) < p.Failure) {
			j.local = true
			j.res = client.Result{RetryAfter: -1, Err: errors.New("device network: connection lost")}
			e.park(j, j.intendedMs+e.rtt(j.dev, j.intendedMs))
			return
		}
	}
	if j.kind == jobDownload && p != nil {
		if e.offline(j.dev, j.intendedMs) {
			j.local = true
			e.park(j, j.intendedMs+e.rtt(j.dev, j.intendedMs))
			return
		}
		if p.Failure > 0 && e.pop.Uniform(j.dev, purposeNetFail, uint64(j.intendedMs)) < p.Failure && j.size > 1 {
			// The connection drops mid-download: the attempt fails.
			cut := e.pop.Uniform(j.dev, purposeCut, uint64(j.intendedMs))
			if mj := j.manifest; mj != nil {
				if len(mj.fetch) > 0 {
					mj.cutAt = int(cut * float64(len(mj.fetch)))
				}
			} else {
				j.opt.CutAfter = 1 + int64(cut*float64(j.size-1))
			}
		}
	}
	if j.kind == jobDownload {
		e.deadline(j, p)
	}
	if e.set.speed == 1 && p != nil {
		j.shapeRTT = time.Duration(e.rtt(j.dev, j.intendedMs)) * time.Millisecond
		if j.kind == jobDownload {
			j.opt.Shape = client.Shaping{RTT: j.shapeRTT, BytesPerSec: int64(p.Bandwidth)}
			j.fopt.Shape = j.opt.Shape
			j.shapeRTT = 0
		}
	}
	e.inFlight++
	e.rec.InFlight(e.inFlight)
	if j.kind == jobDownload {
		e.dlBacklog = send(e.dlJobs, e.dlBacklog, j)
		return
	}
	e.backlog = send(e.jobs, e.backlog, j)
}

// send hands j to the workers without ever blocking the engine: when the
// channel is full, j waits in the backlog (FIFO), which flush feeds as
// workers free up. Blocking here could deadlock with workers blocked on
// handing back their results.
func send(ch chan *job, backlog []*job, j *job) []*job {
	if len(backlog) == 0 {
		select {
		case ch <- j:
			return backlog
		default:
		}
	}
	return append(backlog, j)
}

func flush(ch chan *job, backlog []*job) []*job {
	for len(backlog) > 0 {
		select {
		case ch <- backlog[0]:
			backlog[0] = nil
			backlog = backlog[1:]
		default:
			return backlog
		}
	}
	return backlog[:0]
}

// rtt is the device's modelled round trip (ms) with jitter.
func (e *engine) rtt(dev uint32, t int64) int64 {
	p := e.profile(dev)
	if p == nil {
		return 0
	}
	ms := p.RTT.D().Milliseconds()
	if j := p.Jitter.D().Milliseconds(); j > 0 {
		ms += int64(e.pop.Uniform(dev, purposeJitter, uint64(t)) * float64(j))
	}
	return ms
}

// modelled is the device-network time of a job in virtual ms: a round
// trip, and for a download its bytes at the profile's bandwidth.
func (e *engine) modelled(j *job) int64 {
	p := e.profile(j.dev)
	if p == nil {
		return 0
	}
	ms := e.rtt(j.dev, j.intendedMs)
	if mj := j.manifest; mj != nil && len(mj.fetch) > 0 {
		// Files are fetched ManifestConcurrency at a time: a round trip
		// for each wave.
		c := max(e.Platform(j.dev).ManifestConcurrency, 1)
		ms *= int64((len(mj.fetch) + c - 1) / c)
	}
	if j.kind == jobDownload && p.Bandwidth > 0 {
		ms += int64(math.Ceil(float64(j.size) / float64(p.Bandwidth) * 1000))
	}
	return ms
}

func (e *engine) profile(dev uint32) *scenarios.NetworkProfile {
	if len(e.profiles) == 0 {
		return nil
	}
	return &e.profiles[e.attrs[dev].Profile]
}

// park holds a completion until virtual time at.
func (e *engine) park(j *job, at int64) {
	var slot uint32
	if n := len(e.freePark); n > 0 {
		slot = e.freePark[n-1]
		e.freePark = e.freePark[:n-1]
		e.parked[slot] = j
	} else {
		slot = uint32(len(e.parked))
		e.parked = append(e.parked, j)
	}
	e.q.Push(sched.Event{At: at, Device: j.dev, Kind: evDeliver, Arg: slot})
}

// startWorkers starts the pool; the returned channel closes when every
// worker has returned (after jobs is closed).
func (e *engine) startWorkers(ctx context.Context) <-chan struct{} {
	var wg sync.WaitGroup
	pool := func(n int, jobs <-chan *job) {
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					e.work(ctx, j)
					e.done <- j
				}
			}()
		}
	}
	pool(e.set.workers, e.jobs)
	pool(e.set.dlWorkers, e.dlJobs)
	out := make(chan struct{})
	go func() { wg.Wait(); close(out) }()
	return out
}

// work sends one request. It runs on a worker and touches only the job.
func (e *engine) work(ctx context.Context, j *job) {
	j.picked = time.Now()
	if j.shapeRTT > 0 {
		t := time.NewTimer(j.shapeRTT)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	switch j.kind {
	case jobCheck:
		j.res = e.cl.Updates(ctx, &j.info, &j.upd)
	case jobChannel:
		switch j.chKind {
		case device.ReqChannelSet:
			j.res = e.cl.SetChannel(ctx, &j.info, j.channel, &j.ch)
		case device.ReqChannelGet:
			j.res = e.cl.GetChannel(ctx, &j.info, &j.ch)
		case device.ReqChannelList:
			j.res = e.cl.ListChannels(ctx, &j.info, &j.chs)
		case device.ReqChannelUnset:
			j.res = e.cl.UnsetChannel(ctx, &j.info, &j.ch)
		}
	case jobStats:
		j.res = e.cl.Stats(ctx, j.events, &j.st)
	case jobPost:
		j.res = e.cl.StatsEvent(ctx, &j.events[0], &j.st)
	case jobDownload:
		if mj := j.manifest; mj != nil {
			e.workFiles(ctx, j, mj)
			return
		}
		if j.crypt.DecryptFailed {
			// The session key does not open: the bytes are fetched, not
			// decrypted.
			j.opt.Session = nil
		}
		j.dl = e.cl.Download(ctx, j.url, j.checksum, j.opt)
		j.res = j.dl.Result
	}
}

// complete takes a job back from a worker: records its measurements and
// hands its outcome to the device, at once or at its modelled time.
func (e *engine) complete(j *job) {
	e.inFlight--
	r := &j.res
	sent := r.Sent
	if sent.IsZero() {
		sent = r.Done
	}
	// Schedule lag: when a worker took the job, against its intended
	// time (the device's modelled round trip at speed 1 is not lag).
	if !j.picked.IsZero() {
		e.rec.Lag(max(j.picked.Sub(j.intended), 0))
	}
	latency := max(r.Done.Sub(j.intended), 0)
	service := max(r.Done.Sub(sent), 0)
	cohort := int(e.attrs[j.dev].Cohort)
	switch j.kind {
	case jobCheck:
		e.rec.API(metrics.Updates, cohort, latency, service, r.Status, r.Outcome, r.Cause)
	case jobChannel:
		e.rec.API(metrics.Channel, cohort, latency, service, r.Status, r.Outcome, r.Cause)
	case jobStats, jobPost:
		e.rec.API(metrics.Stats, cohort, latency, service, r.Status, r.Outcome, r.Cause)
	case jobDownload:
		if mj := j.manifest; mj != nil {
			// Per-file: counted by outcome beside the zips (its files'
			// times are the deliveries').
			if o, cause, cut := manifestOutcome(mj); !cut {
				e.rec.FilesDownload(int(e.attrs[j.dev].Profile), o, cause)
				e.observe(o)
			}
			break
		}
		if j.dl.Cut {
			break // the device's modelled network dropped it: not the server's outcome
		}
		e.rec.Download(int(e.attrs[j.dev].Profile), j.dl.Bytes, latency, j.dl.TTFB, time.Duration(e.modelled(j))*time.Millisecond,
			r.Outcome, r.Cause)
		if r.Outcome == results.OutcomeSuccess {
			e.bundles.sized(j.bundle, j.dl.Bytes) // a bundle the scenario does not know
		}
	}
	if j.kind != jobDownload {
		e.observe(r.Outcome)
	} else if j.manifest == nil && !j.dl.Cut {
		e.observe(r.Outcome)
	}
	if e.stopping {
		// The run is over: only acknowledged stats still count (the server
		// counted them too); devices act no more.
		if j.kind == jobStats {
			e.statsDone(j)
		}
		return
	}
	if j.kind == jobPost {
		e.postDone(j)
		return
	}
	now := e.virtualMs()
	if e.set.speed != 1 {
		if at := j.intendedMs + e.modelled(j); at > now {
			e.park(j, at)
			return
		}
	}
	e.curAt, e.curDev = now, j.dev
	e.deliver(j)
}

// deliver hands a request's outcome to the device's state machine.
func (e *engine) deliver(j *job) {
	i := j.dev
	s := &e.devs[i]
	before := s.Running
	now := e.curAt
	switch j.kind {
	case jobCheck:
		e.m.CheckReply(s, i, now, e.checkResult(j))
	case jobChannel:
		e.m.ChannelReply(s, i, now, e.channelResult(j))
	case jobDownload:
		e.deliverDownload(j, s, now)
	case jobStats:
		e.statsDone(j)
	}
	e.track(i, before, s.Running)
	if j.kind != jobStats && j.kind != jobPost {
		if e.busy[i]--; e.busy[i] == 0 {
			delete(e.busy, i)
			delete(e.modelledUntil, i)
			mid := s.Running
			e.endDeferred(i, s)
			e.track(i, mid, s.Running)
		}
	}
}

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
	e.dl[j.dev] = pendingDownload{url: u.URL, checksum: u.Checksum, session: u.SessionKey, manifest: u.Manifest}
	return cr
}

// blockOf is a 429's block in ms from its retry hints (client.Result).
func (e *engine) blockOf(j *job) int64 {
	r := &j.res
	if r.RetryAfter >= 0 {
		return r.RetryAfter.Milliseconds()
	}
	if r.ResetAt > 0 {
		return r.ResetAt - (vclock.Epoch().UnixMilli() + e.curAt)
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
