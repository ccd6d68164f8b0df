package sim

import (
	"context"
	"errors"
	"time"

	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/sched"
)

// A request's life: the engine builds a job (newJob) and dispatches it:
// the device's modelled network may fail it at once (offline, a lost
// connection), else a worker sends it (work) and hands it back; complete
// records its measurements and delivers the outcome to the device's
// state machine, at once or, when the modelled network would have taken
// longer, at that virtual time (parked).

// dispatch sends a job to the workers, or fails it on the device's side
// (offline, lost connection).
func (e *engine) dispatch(j *job) {
	if e.stopping {
		return
	}
	if j.busies() {
		sd := e.side.add(j.dev)
		sd.busy++
		sd.modelledUntil = max(sd.modelledUntil, j.intendedMs+e.modelled(j))
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
	e.pool.send(j)
	e.rec.InFlight(e.pool.inFlight)
}

// park holds a completion until virtual time at.
func (e *engine) park(j *job, at int64) {
	e.q.Push(sched.Event{At: at, Device: j.dev, Kind: evDeliver, Arg: e.parked.park(j)})
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
	e.pool.inFlight--
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
		e.jobs.put(j)
		return
	}
	if j.kind == jobPost {
		e.postDone(j)
		e.jobs.put(j)
		return
	}
	now := e.virtualMs()
	if e.set.speed != 1 {
		if at := j.intendedMs + e.modelled(j); at > now {
			e.park(j, at)
			return
		}
	}
	e.curAt = now
	e.deliver(j)
}

// deliver hands a request's outcome to the device's state machine; the
// job is done with afterwards.
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
	if j.busies() {
		// The machine may have sent more for the device meanwhile: its
		// record is looked up again.
		if sd := e.side.get(i); sd != nil && sd.busy > 0 {
			if sd.busy--; sd.busy == 0 {
				sd.modelledUntil = 0
				mid := s.Running
				e.endDeferred(i, s)
				e.track(i, mid, s.Running)
				e.side.release(i)
			}
		}
	}
	e.jobs.put(j)
}
