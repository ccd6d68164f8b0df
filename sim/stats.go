package sim

import (
	"strconv"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/sched"
	"github.com/otasim/otasim/sim/vclock"
)

// Stats as the plugin sends them (A/CapgoUpdater.java:2802 sendStats,
// :3021 flushStatsQueue; I/CapgoUpdater.swift:3103, :3245): events queue
// (at most 200, the oldest dropped); a timer ticks every second from the
// process's first event and posts the whole queue as one JSON array when
// no post is in flight and no 429 block holds; a 429, 408, 5xx or network
// error puts the events back for the next tick, without limit; any other
// status drops them. The queue outlives the process (it is persisted and
// restored at the next launch).
const (
	statsTickMs   = 1000
	statsMaxQueue = protocol.MaxStatsBatch
)

// stat is a queued event. It holds no pointer (see labels).
type stat struct {
	at     int64
	proc   int64  // the process's start, for the launch events' metadata
	action uint32 // a label
	// named, when not noLabel, is the label of the version_name (a
	// manifest file's "version:name") to send instead of version's.
	named   uint32
	version uint8
	old     uint8
}

// statsQueue is a device's queue, held while it has events.
type statsQueue struct {
	evs       []stat
	inFlight  int
	scheduled bool
}

// statsState is the devices' stats queues and what became of their
// events: acknowledged by the server (counted as the server counts them)
// or dropped.
type statsState struct {
	queues    slab[statsQueue]
	labels    labels // the queued events' strings
	delivered map[string]*results.BundleCounts
	dropped   int64
}

func newStatsState(n int) statsState {
	return statsState{
		queues:    newSlab(n, func(q *statsQueue) { *q = statsQueue{evs: q.evs[:0]} }),
		labels:    newLabels(),
		delivered: map[string]*results.BundleCounts{},
	}
}

func (e *engine) Stat(dev uint32, action string, version, old uint8) {
	e.queueStat(dev, stat{action: e.stats.labels.id(action), version: version, old: old})
}

// statNamed queues an event whose version_name is given.
func (e *engine) statNamed(dev uint32, action, versionName string) {
	l := &e.stats.labels
	e.queueStat(dev, stat{action: l.id(action), named: l.id(versionName), old: device.None})
}

func (e *engine) queueStat(dev uint32, st stat) {
	q := e.stats.queues.add(dev)
	if len(q.evs) >= statsMaxQueue {
		q.evs = q.evs[:copy(q.evs, q.evs[1:])]
		e.stats.dropped++
	}
	st.at, st.proc = e.curAt, e.devs[dev].ProcStart
	q.evs = append(q.evs, st)
	e.scheduleFlush(dev, q, e.curAt)
}

// scheduleFlush arms the next tick after at (or after the 429 block).
func (e *engine) scheduleFlush(dev uint32, q *statsQueue, at int64) {
	if q.scheduled || q.inFlight > 0 {
		return
	}
	s := &e.devs[dev]
	at = max(at, s.BlockedUntil-1)
	tick := s.ProcStart + ((at-s.ProcStart)/statsTickMs+1)*statsTickMs
	q.scheduled = true
	e.q.Push(sched.Event{At: tick, Device: dev, Kind: evFlushStats})
}

func (e *engine) flushStats(dev uint32) {
	q := e.stats.queues.get(dev)
	if q == nil {
		return
	}
	q.scheduled = false
	s := &e.devs[dev]
	if q.inFlight > 0 || len(q.evs) == 0 || !s.Has(device.FlagProcess) {
		return // a cold start's first event arms the timer again
	}
	if s.Blocked(e.curAt) {
		e.scheduleFlush(dev, q, e.curAt)
		return
	}
	n := min(len(q.evs), protocol.MaxStatsBatch)
	j := e.newJob(jobStats, dev)
	j.setEvents(n)
	for k := range n {
		e.statEvent(&j.events[k], j, &q.evs[k])
	}
	q.inFlight = n
	j.nStats = n
	if e.stopping {
		return
	}
	e.dispatch(j)
	if e.stopping {
		q.inFlight = 0
	}
}

// statEvent fills one event: the info object, the bundles by name, the
// action, the device's (virtual) time, and the launch events' metadata
// (A/CapacitorUpdaterPlugin.java:1737-1793).
func (e *engine) statEvent(ev *protocol.StatsEvent, j *job, st *stat) {
	base := int64(vclock.EpochMilli)
	ev.Info = j.info
	ev.VersionName = e.versionName(j.dev, st.version)
	if st.named != noLabel {
		ev.VersionName = e.stats.labels.name(st.named)
	}
	ev.OldVersionName = ""
	if st.old != device.None {
		ev.OldVersionName = e.versionName(j.dev, st.old)
	}
	ev.Action = e.stats.labels.name(st.action)
	ev.Timestamp = base + st.at
	// A reused event keeps its map, emptied: no metadata goes out empty.
	meta := ev.Metadata
	if len(meta) > 0 {
		clear(meta)
	}
	switch ev.Action {
	case protocol.ActionAppLaunchStart:
		meta = orNewMap(meta)
		meta["launch_started_at"] = strconv.FormatInt(base+st.proc, 10)
		meta["source"] = "plugin_load"
	case protocol.ActionAppLaunchReady, protocol.ActionAppLaunchTimeout:
		meta = orNewMap(meta)
		meta["duration_ms"] = strconv.FormatInt(max(st.at-st.proc, 0), 10)
		meta["launch_started_at"] = strconv.FormatInt(base+st.proc, 10)
		meta["source"] = "notify_app_ready"
		if ev.Action == protocol.ActionAppLaunchTimeout {
			meta["source"] = "app_ready_timeout"
			meta["timeout_ms"] = strconv.FormatInt(e.Platform(j.dev).AppReadyTimeout, 10)
		}
	}
	ev.Metadata = meta
}

func orNewMap(m map[string]string) map[string]string {
	if m == nil {
		return make(map[string]string, 4)
	}
	return m
}

// Post sends one event at once as a single object, outside the queue and
// without retry (A/DownloadService.java:372 sendStatsAsync,
// A/CapgoUpdater.java:2167 sendRateLimitStatistic): no timestamp.
func (e *engine) Post(dev uint32, action string, version uint8) {
	e.postNamed(dev, action, e.versionName(dev, version))
}

// postNamed posts one event whose version_name is given.
func (e *engine) postNamed(dev uint32, action, versionName string) {
	j := e.newJob(jobPost, dev)
	j.setEvents(1)
	ev := &j.events[0]
	if len(ev.Metadata) > 0 {
		clear(ev.Metadata)
	}
	*ev = protocol.StatsEvent{Info: j.info, Action: action, Metadata: ev.Metadata}
	ev.VersionName = versionName
	e.dispatch(j)
}

// postDone: a single event that did not get through is lost, and
// rate_limit_reached's claim given back.
func (e *engine) postDone(j *job) {
	if j.local || j.res.Err != nil || j.res.Status/100 != 2 {
		e.m.PostFailed(&e.devs[j.dev], j.events[0].Action)
	}
}

// statsDone handles the reply to a batch.
func (e *engine) statsDone(j *job) {
	q := e.stats.queues.get(j.dev)
	if q == nil {
		return
	}
	n := q.inFlight
	q.inFlight = 0
	st := j.res.Status
	switch {
	case !j.local && j.res.Err == nil && st/100 == 2:
		for k := 0; k < n && k < len(j.events); k++ {
			if len(j.st.Results) > 0 && (k >= len(j.st.Results) || j.st.Results[k].Status != "ok") {
				continue
			}
			e.countDelivered(&j.events[k])
		}
		q.evs = q.evs[:copy(q.evs, q.evs[n:])]
	case j.local || st == 0 || st == 429 || st == 408 || st >= 500:
		if st == 429 && !j.local && !e.stopping {
			e.m.RateLimited(&e.devs[j.dev], j.dev, e.curAt, e.blockOf(j), "")
		}
		// kept for the next tick
	default: // other 4xx: the plugin drops the batch
		e.stats.dropped += int64(n)
		q.evs = q.evs[:copy(q.evs, q.evs[n:])]
	}
	if len(q.evs) == 0 {
		e.stats.queues.remove(j.dev)
		return
	}
	if !e.stopping {
		e.scheduleFlush(j.dev, q, e.curAt)
	}
}

// countDelivered counts an acknowledged event the way the server does:
// `set` is an install of version_name, every *_fail a failure, for the
// scenario's bundles.
func (e *engine) countDelivered(ev *protocol.StatsEvent) {
	isSet := ev.Action == protocol.ActionSet
	isFail := protocol.IsFailure(ev.Action)
	if idx, ok := e.bundles.index[ev.VersionName]; !ok || idx == device.Builtin || (!isSet && !isFail) {
		return // the builtin goes by each device's native version, not a bundle the server serves
	}
	c := e.stats.delivered[ev.VersionName]
	if c == nil {
		c = &results.BundleCounts{Failures: map[string]int64{}}
		e.stats.delivered[ev.VersionName] = c
	}
	if isSet {
		c.Installs++
	} else {
		c.Failures[ev.Action]++
	}
}
