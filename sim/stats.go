package sim

import (
	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/vclock"
)

// Stats batching, as the plugin does it: events queue (at most 200), a
// batch is posted about a second after the first one queued, retried on
// 429, 408 and 5xx, dropped on other 4xx.
const (
	statsDelayMs    = 1000
	statsMaxQueue   = protocol.MaxStatsBatch
	statsMaxRetries = 12
	statsMaxDelayMs = 300_000
)

type stat struct {
	action  string
	version uint8
	old     uint8
	at      int64
}

type statsQueue struct {
	evs       []stat
	inFlight  int
	scheduled bool
	retries   uint8
}

func (e *engine) Stat(dev uint32, action string, version, old uint8) {
	q := e.stats[dev]
	if q == nil {
		q = &statsQueue{}
		e.stats[dev] = q
	}
	if len(q.evs) >= statsMaxQueue {
		q.evs = q.evs[1:]
		e.droppedStats++
	}
	q.evs = append(q.evs, stat{action: action, version: version, old: old, at: e.curAt})
	if !q.scheduled && q.inFlight == 0 {
		q.scheduled = true
		e.After(dev, statsDelayMs, evFlushStats, 0)
	}
}

func (e *engine) flushStats(dev uint32) {
	q := e.stats[dev]
	if q == nil {
		return
	}
	q.scheduled = false
	if q.inFlight > 0 || len(q.evs) == 0 {
		return
	}
	n := min(len(q.evs), protocol.MaxStatsBatch)
	j := e.newJob(jobStats, dev)
	j.events = make([]protocol.StatsEvent, n)
	base := vclock.Epoch().UnixMilli()
	for k := range n {
		st := &q.evs[k]
		ev := &j.events[k]
		ev.Info = j.info
		ev.VersionName = e.bundles.name(st.version)
		if st.old != 0xFF {
			ev.OldVersionName = e.bundles.name(st.old)
		}
		ev.Action = st.action
		ev.Timestamp = base + st.at
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

// statsDone handles the reply to a batch.
func (e *engine) statsDone(j *job) {
	q := e.stats[j.dev]
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
		q.evs = q.evs[n:]
		q.retries = 0
	case j.local || st == 0 || st == 429 || st == 408 || st >= 500:
		q.retries++
		if q.retries > statsMaxRetries {
			e.droppedStats += int64(n)
			q.evs = q.evs[n:]
			q.retries = 0
			break
		}
		delay := min(int64(2000)<<(q.retries-1), statsMaxDelayMs)
		if j.res.RetryAfter > 0 {
			delay = max(delay, min(j.res.RetryAfter.Milliseconds(), 86_400_000))
		}
		q.scheduled = true
		e.After(j.dev, delay, evFlushStats, 0)
		return
	default: // other 4xx: the plugin drops the batch
		e.droppedStats += int64(n)
		q.evs = q.evs[n:]
		q.retries = 0
	}
	if len(q.evs) == 0 {
		delete(e.stats, j.dev)
		return
	}
	q.scheduled = true
	e.After(j.dev, statsDelayMs, evFlushStats, 0)
}

// countDelivered counts an acknowledged event the way the server does:
// `set` is an install of version_name, every *_fail a failure.
func (e *engine) countDelivered(ev *protocol.StatsEvent) {
	isSet := ev.Action == protocol.ActionSet
	isFail := protocol.IsFailure(ev.Action)
	if !isSet && !isFail {
		return
	}
	c := e.fleet[ev.VersionName]
	if c == nil {
		c = &results.BundleCounts{Failures: map[string]int64{}}
		e.fleet[ev.VersionName] = c
	}
	if isSet {
		c.Installs++
	} else {
		c.Failures[ev.Action]++
	}
}
