package sim

import (
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/device"
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

// busies reports whether the job is a check, a channel call or a download:
// what keeps a device busy (stats are posted on their own).
func (j *job) busies() bool { return j.kind != jobStats && j.kind != jobPost }

// jobPool recycles jobs: the engine builds one per request and gets each
// back from its worker, so a free list owned by the engine goroutine
// saves an allocation of a kilobyte per request and its share of the
// garbage collector's work.
type jobPool struct{ free []*job }

func (p *jobPool) get() *job {
	if n := len(p.free); n > 0 {
		j := p.free[n-1]
		p.free = p.free[:n-1]
		return j
	}
	return &job{}
}

// put gives back a job nothing refers to any more. The events and the
// stats results keep their arrays (and the events their metadata maps).
func (p *jobPool) put(j *job) {
	evs, results := j.events[:0], j.st.Results[:0]
	*j = job{}
	j.events, j.st.Results = evs, results
	p.free = append(p.free, j)
}

// newJob builds a job of the event being handled.
func (e *engine) newJob(kind uint8, dev uint32) *job {
	s := &e.devs[dev]
	j := e.jobs.get()
	j.kind, j.dev, j.intendedMs = kind, dev, e.curAt
	j.intended = e.clk.WallForOffset(time.Duration(e.curAt) * time.Millisecond)
	j.info = e.info(dev, s.Running)
	j.opt.UserAgent = e.userAgent(dev)
	return j
}

// setEvents sizes the job's events to n, reusing their storage.
func (j *job) setEvents(n int) {
	if cap(j.events) < n {
		j.events = make([]protocol.StatsEvent, n)
	}
	j.events = j.events[:n]
}
