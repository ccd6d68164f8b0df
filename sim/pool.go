package sim

import (
	"context"
	"sync"
)

// pool is the workers and what feeds them. API calls and bundle downloads
// have workers of their own (a slow CDN never queues API calls), each fed
// by a lane: a channel and a FIFO backlog the engine fills without ever
// blocking (blocking could deadlock with a worker blocked on handing back
// its result). Past max requests waiting in the backlogs the engine stops
// taking due events until workers catch up (saturated): due events then
// wait in the event heap, a few bytes each, instead of as requests.
type pool struct {
	api, dl  lane
	done     chan *job // results, handed back by the workers
	inFlight int64     // sent to a lane and not yet handed back
	max      int
	nAPI     int
	nDL      int
}

// lane is one kind of worker's queue: the channel they take jobs from
// and the backlog, a FIFO of q[head:].
type lane struct {
	ch   chan *job
	q    []*job
	head int
}

func (l *lane) waiting() int { return len(l.q) - l.head }

// maxBacklog is the default bound of the requests waiting for a worker:
// a request is about a kilobyte, an event in the heap 24 bytes.
const maxBacklog = 4096

func newPool(apiWorkers, dlWorkers, max int) *pool {
	return &pool{api: lane{ch: make(chan *job, 2*apiWorkers)}, dl: lane{ch: make(chan *job, 2*dlWorkers)},
		done: make(chan *job, 1<<16), max: max, nAPI: apiWorkers, nDL: dlWorkers}
}

// start starts the workers, each running work on the jobs of its lane and
// handing them back on done; the returned channel closes once every
// worker has returned (after close).
func (p *pool) start(ctx context.Context, work func(context.Context, *job)) <-chan struct{} {
	var wg sync.WaitGroup
	run := func(n int, jobs <-chan *job) {
		for range n {
			wg.Go(func() {
				for j := range jobs {
					work(ctx, j)
					p.done <- j
				}
			})
		}
	}
	run(p.nAPI, p.api.ch)
	run(p.nDL, p.dl.ch)
	out := make(chan struct{})
	go func() { wg.Wait(); close(out) }()
	return out
}

// send hands j to its workers, or to the backlog when they are all busy.
func (p *pool) send(j *job) {
	p.inFlight++
	if j.kind == jobDownload {
		p.dl.send(j)
		return
	}
	p.api.send(j)
}

// flush moves backlogged jobs to workers that freed up.
func (p *pool) flush() {
	p.api.flush()
	p.dl.flush()
}

// waiting is how many jobs wait in the backlogs.
func (p *pool) waiting() int { return p.api.waiting() + p.dl.waiting() }

// saturated reports whether the backlogs hold max requests or more.
func (p *pool) saturated() bool { return p.waiting() >= p.max }

// close drops what still waits and closes the lanes: the workers return
// once they have handed back what they hold.
func (p *pool) close() {
	p.api.q, p.api.head, p.dl.q, p.dl.head = nil, 0, nil, 0
	close(p.api.ch)
	close(p.dl.ch)
}

func (l *lane) send(j *job) {
	if l.waiting() == 0 {
		select {
		case l.ch <- j:
			return
		default:
		}
	}
	if l.head > 0 && l.head >= len(l.q)/2 {
		l.q = l.q[:copy(l.q, l.q[l.head:])]
		clear(l.q[len(l.q) : l.head+len(l.q)])
		l.head = 0
	}
	l.q = append(l.q, j)
}

func (l *lane) flush() {
	for l.head < len(l.q) {
		select {
		case l.ch <- l.q[l.head]:
			l.q[l.head] = nil
			l.head++
		default:
			return
		}
	}
	l.q, l.head = l.q[:0], 0
}
