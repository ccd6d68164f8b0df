// Package load runs plain load tests of device checks (POST /updates with
// the info objects of a scenario's devices) against a server, with k6's
// arrival-rate executors as the model:
//
//   - constant: an open model, Rate requests per second for Duration;
//   - ramping: an open model whose rate moves linearly through Stages;
//   - max: a closed model, Workers requests back to back for Duration.
//
// In the open models every request has an intended send time on a fixed
// schedule (Schedule). Latency is measured from that time, as wrk2 does,
// so a stalled server or a generator that falls behind shows in the
// figures instead of being hidden (coordinated omission); service time
// (from the actual send) is measured beside it. When the workers cannot
// keep up, requests wait in a bounded backlog and are counted late; beyond
// the backlog they are dropped and counted, never silently delayed or
// forgotten. Every latency goes into HDR histograms, one set per worker,
// merged at the end; no sample is kept.
package load

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
)

// Profiles.
const (
	ProfileConstant = "constant"
	ProfileRamping  = "ramping"
	ProfileMax      = "max"
)

// Sender sends one device check; *client.Client is one.
type Sender interface {
	Updates(ctx context.Context, info *protocol.Info, reply *protocol.UpdateReply) client.Result
}

var _ Sender = (*client.Client)(nil)

// Devices gives the info object of device i (0 ≤ i < Len()). Info is
// called from several workers at once.
type Devices interface {
	Len() int
	Info(i int, into *protocol.Info)
}

// Config configures a load test.
type Config struct {
	// Profile is ProfileConstant, ProfileRamping or ProfileMax.
	Profile string
	// Rate is the constant profile's rate and the ramping profile's start
	// rate (requests per second).
	Rate     float64
	Stages   []Stage       // ramping
	Duration time.Duration // constant and max

	// Sender sends the checks: the protocol client, whose API path to a
	// plain-HTTP target is the fast one (sim/client, a keep-alive
	// connection per worker when it has as many connections as workers).
	Sender Sender
	// ResponseTimeout is how long the Sender lets a request go
	// unanswered (0: unknown); the drain at the end waits for it.
	ResponseTimeout time.Duration
	Devices         Devices
	// Workers is the number of requests in flight at most.
	Workers int
	// Backlog bounds the requests due but waiting for a worker; a request
	// due when the backlog is full is dropped and counted. Default: two
	// seconds of the peak rate, at least 1,024, at most 1<<20.
	Backlog int
	// LateBound: a request sent more than this after its intended time is
	// counted late (default 10 ms).
	LateBound time.Duration
	// DrainTimeout bounds the wait for the backlog and the requests in
	// flight at the end (default 10 s, or ResponseTimeout and a second
	// when longer, so that every request sent ends in a reply or a
	// timeout; 2 s when ctx is cancelled).
	DrainTimeout time.Duration

	// Progress, when set, is called about every ProgressEvery (default
	// 1 s) from the scheduler goroutine; keep it quick.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// Abort, when set, is called with the same snapshots; a non-empty
	// name (the target whose abort_on_fail tripped) stops the run early,
	// as Result.Aborted.
	Abort func(Progress) string

	// sleep is the scheduler's sleep for the last fineWindow before a
	// request is due (default fineSleep; tests under testing/synctest use
	// time.Sleep, which the bubble's clock controls).
	sleep func(time.Duration)
}

// fineWindow is how long before a request is due the scheduler stops
// relying on Go's timer (up to a millisecond late) and sleeps precisely.
const fineWindow = 2 * time.Millisecond

// Progress is a live snapshot of a load test.
type Progress struct {
	Elapsed time.Duration
	Length  time.Duration
	Due     int64 // requests the schedule released so far (open models)
	Sent    int64
	Done    int64
	Failed  int64
	// OK are the successful replies, Latency their latency from the
	// intended send time by results.DurationBounds (its Sum the total);
	// Outcomes every request ended, by outcome.
	OK       int64
	Latency  results.Buckets
	Outcomes results.OutcomeCounts
	// Lag is when the requests left against their intended time (open
	// models), by results.DurationBounds; Late those later than the
	// late bound.
	Lag      results.Buckets
	Late     int64
	Dropped  int64
	InFlight int64
	// LostAtS is set while the target is lost: when every request began
	// failing (seconds since the start).
	LostAtS *float64
}

func (c *Config) validate() (*Schedule, error) {
	var errs []error
	var sched *Schedule
	switch c.Profile {
	case ProfileConstant:
		if !(c.Rate > 0) {
			errs = append(errs, fmt.Errorf("rate %v: want above 0 requests per second", c.Rate))
		} else if c.Duration > 0 {
			var err error
			sched, err = Constant(c.Rate, c.Duration)
			if err != nil {
				errs = append(errs, err)
			}
		}
		if c.Duration <= 0 {
			errs = append(errs, fmt.Errorf("duration %v: want above 0", c.Duration))
		}
	case ProfileRamping:
		var err error
		sched, err = Ramping(c.Rate, c.Stages)
		if err != nil {
			errs = append(errs, err)
		}
	case ProfileMax:
		if c.Duration <= 0 {
			errs = append(errs, fmt.Errorf("duration %v: want above 0", c.Duration))
		}
	default:
		errs = append(errs, fmt.Errorf("profile %q: want constant, ramping or max", c.Profile))
	}
	if c.Sender == nil {
		errs = append(errs, errors.New("no sender"))
	}
	if c.Devices == nil || c.Devices.Len() <= 0 {
		errs = append(errs, errors.New("no devices"))
	}
	if c.Workers <= 0 {
		errs = append(errs, fmt.Errorf("workers %d: want at least 1", c.Workers))
	}
	if c.Backlog < 0 || c.LateBound < 0 || c.DrainTimeout < 0 {
		errs = append(errs, errors.New("backlog, late bound and drain timeout must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return sched, nil
}

func (c *Config) defaults(sched *Schedule) {
	if c.LateBound == 0 {
		c.LateBound = 10 * time.Millisecond
	}
	if c.sleep == nil {
		c.sleep = fineSleep
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = time.Second
	}
	if c.Backlog == 0 {
		c.Backlog = 1024
		if sched != nil {
			c.Backlog = int(min(max(2*sched.Peak(), 1024), 1<<20))
		}
	}
}

// job is one request released by the scheduler.
type job struct {
	n   int64
	due time.Duration // intended send time, from the start
}

// run is the state shared by the scheduler and the workers.
type run struct {
	cfg     Config
	sched   *Schedule
	start   time.Time
	length  time.Duration
	jobs    chan job
	workers []*worker

	due, dropped atomic.Int64
	// inFlight counts requests between send and reply; peak is its
	// highest value.
	inFlight, peak atomic.Int64

	// bounds are results.DurationBounds in µs, for the workers' live
	// tallies.
	bounds []int64

	// The scheduler's own: the target-lost watch fed every tick, the
	// last tick's counts, and the target that aborted the run.
	loss    *metrics.LossWatch
	last    Progress
	aborted string
}

// Run runs the load test until its profile ends or ctx is cancelled (then
// the results are partial: Result.Interrupted). An error means the test
// could not start.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	sched, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	cfg.defaults(sched)
	r := &run{cfg: cfg, sched: sched, length: cfg.Duration, bounds: results.DurationBoundsMicros(),
		loss: metrics.NewLossWatch(metrics.LossWindow, metrics.LossMinFailures)}
	if sched != nil {
		r.length = sched.Len()
		r.jobs = make(chan job, cfg.Backlog)
	}
	// Requests outlive a cancelled ctx by up to the drain timeout, so that
	// an interruption still ends with replies rather than errors.
	reqCtx, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()

	cpu0 := cpuTime()
	r.start = time.Now()
	var wg sync.WaitGroup
	r.workers = make([]*worker, cfg.Workers)
	stopMax := make(chan struct{})
	for i := range r.workers {
		w := newWorker(r, i)
		r.workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sched != nil {
				w.open(reqCtx)
			} else {
				w.closed(reqCtx, stopMax)
			}
		}()
	}
	interrupted := r.schedule(ctx)
	end := time.Now()
	if sched != nil {
		close(r.jobs)
	} else {
		close(stopMax)
	}

	drain := cfg.DrainTimeout
	if drain == 0 {
		drain = 10 * time.Second
		if cfg.ResponseTimeout > 0 {
			drain = max(drain, cfg.ResponseTimeout+time.Second)
		}
		if interrupted {
			drain = 2 * time.Second
		}
	}
	if interrupted {
		// Stop sending what is still waiting: it is counted unsent.
		for _, w := range r.workers {
			w.abandon.Store(true)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	timer := time.NewTimer(drain)
	select {
	case <-done:
	case <-timer.C:
		for _, w := range r.workers {
			w.abandon.Store(true)
		}
		hardStop()
		<-done
	}
	timer.Stop()
	return r.result(end, cpuTime()-cpu0, interrupted), nil
}

// schedule releases the requests at their intended times (open models) or
// waits for the end (max), reporting progress. It reports whether ctx
// ended the run early.
func (r *run) schedule(ctx context.Context) (interrupted bool) {
	cfg := &r.cfg
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	nextProgress := cfg.ProgressEvery
	var n int64
	count := int64(0)
	if r.sched != nil {
		count = r.sched.Count()
	}
	for {
		elapsed := time.Now().Sub(r.start)
		// Release every request due by now in one go: the timer only
		// wakes the scheduler, it does not pace single requests.
		for n < count {
			due, _ := r.sched.At(n)
			if due > elapsed {
				break
			}
			select {
			case r.jobs <- job{n: n, due: due}:
			default:
				r.dropped.Add(1)
			}
			n++
			r.due.Store(n)
		}
		if elapsed >= nextProgress {
			if r.tick(elapsed) {
				return false
			}
			for nextProgress <= elapsed {
				nextProgress += cfg.ProgressEvery
			}
		}
		if n >= count && elapsed >= r.length {
			return false
		}
		wake := r.length
		if n < count {
			wake, _ = r.sched.At(n)
		}
		wake = min(wake, nextProgress)
		wait := wake - elapsed
		if wait <= 0 {
			continue
		}
		if wait <= fineWindow && n < count {
			cfg.sleep(wait)
			if ctx.Err() != nil {
				return true
			}
			continue
		}
		if n < count {
			wait -= fineWindow / 2 // wake early: the fine sleep takes the rest
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return true
		case <-timer.C:
		}
	}
}

// tick takes a snapshot: it feeds the target-lost watch with what ended
// since the last tick, hands the snapshot to Progress and Abort, and
// reports whether Abort stopped the run.
func (r *run) tick(elapsed time.Duration) bool {
	p := r.progress(elapsed)
	ok, failed := p.OK-r.last.OK, p.Failed-r.last.Failed
	if ok+failed > 0 {
		r.loss.ObserveBatch(elapsed.Milliseconds(), ok, failed)
	}
	if r.loss.Lost() {
		out := r.loss.Outages()
		p.LostAtS = &out[len(out)-1].LostAtS
	}
	r.last = p
	if r.cfg.Progress != nil {
		r.cfg.Progress(p)
	}
	if r.cfg.Abort != nil {
		r.aborted = r.cfg.Abort(p)
	}
	return r.aborted != ""
}

func (r *run) progress(elapsed time.Duration) Progress {
	p := Progress{Elapsed: elapsed, Length: r.length, Due: r.due.Load(), Dropped: r.dropped.Load()}
	for _, w := range r.workers {
		p.Sent += w.sent.Load()
		p.Done += w.done.Load()
		p.Late += w.late.Load()
		w.live.addTo(&p)
	}
	p.OK = p.Outcomes[results.OutcomeSuccess]
	p.Failed = p.Outcomes.Failed()
	p.InFlight = p.Sent - p.Done
	return p
}

// Histogram range: latencies in µs from 1 µs to an hour, 3 significant
// digits (as sim/metrics).
const maxMicros = int64(time.Hour / time.Microsecond)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, maxMicros, 3) }

// cpuShare is the process CPU over the wall time, per core available.
func cpuShare(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return cpu.Seconds() / wall.Seconds() / float64(runtime.GOMAXPROCS(0))
}
