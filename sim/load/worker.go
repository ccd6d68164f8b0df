package load

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/protocol"
)

// worker sends requests one at a time and owns its histograms (HdrHistogram
// has no lock); they are merged when the run ends.
type worker struct {
	r  *run
	id int

	// latency and service hold successful replies only; failed holds
	// how long failed requests took to fail.
	latency, service, lag, failed *hdrhistogram.Histogram
	clamped                       int64
	status                        map[int]int64
	causes                        map[string]int64
	perSec                        []int64 // requests sent in each second of the run
	unsent, cut                   int64
	info                          protocol.Info
	reply                         protocol.UpdateReply

	// Read by the progress snapshot while the worker runs.
	sent, done, late atomic.Int64
	live             *liveTally
	abandon          atomic.Bool
}

// newWorker returns worker id.
func newWorker(r *run, id int) *worker {
	return &worker{r: r, id: id, latency: newHist(), service: newHist(), lag: newHist(), failed: newHist(),
		status: map[int]int64{}, causes: map[string]int64{}, live: newLiveTally(r.bounds)}
}

// open serves the scheduler's jobs until the channel closes.
func (w *worker) open(ctx context.Context) {
	for j := range w.r.jobs {
		if w.abandon.Load() {
			w.unsent++
			continue
		}
		w.send(ctx, j.n, w.r.start.Add(j.due), true)
	}
}

// closed sends back to back until stop closes (the max profile).
func (w *worker) closed(ctx context.Context, stop <-chan struct{}) {
	step := int64(len(w.r.workers))
	for n := int64(w.id); ; n += step {
		select {
		case <-stop:
			return
		default:
		}
		if w.abandon.Load() {
			return
		}
		w.send(ctx, n, time.Time{}, false)
	}
}

// send makes request n: device n modulo the fleet, so that every device
// checks in turn.
func (w *worker) send(ctx context.Context, n int64, intended time.Time, open bool) {
	cfg := &w.r.cfg
	w.r.cfg.Devices.Info(int(n%int64(cfg.Devices.Len())), &w.info)
	w.sent.Add(1)
	if n := w.r.inFlight.Add(1); n > w.r.peak.Load() {
		w.r.raisePeak(n)
	}
	defer w.r.inFlight.Add(-1)
	before := time.Now()
	w.reply = protocol.UpdateReply{}
	res := cfg.Sender.Updates(ctx, &w.info, &w.reply)
	defer w.done.Add(1)
	if res.Err != nil && ctx.Err() != nil && errors.Is(res.Err, context.Canceled) {
		w.cut++ // cut short by the hard stop: not a reply, not the server's fault
		return
	}
	sent, done := res.Sent, res.Done
	if sent.IsZero() {
		sent = before
	}
	if done.IsZero() {
		done = time.Now()
	}
	if open {
		lag := sent.Sub(intended)
		w.record(w.lag, lag)
		w.live.lag.observe(lag)
		if lag > cfg.LateBound {
			w.late.Add(1)
		}
	} else {
		intended = sent
	}
	w.status[res.Status]++
	if res.Outcome.Failed() {
		// A failed request is never a fast reply: its time to fail is
		// kept apart.
		w.record(w.failed, done.Sub(intended))
		w.causes[res.Cause]++
	} else {
		w.record(w.latency, done.Sub(intended))
		w.record(w.service, done.Sub(sent))
	}
	w.live.end(res.Outcome, done.Sub(intended))
	if sec := int(sent.Sub(w.r.start) / time.Second); sec >= 0 {
		for len(w.perSec) <= sec {
			w.perSec = append(w.perSec, 0)
		}
		w.perSec[sec]++
	}
}

// raisePeak records n as the peak of requests in flight unless a higher
// one is already there.
func (r *run) raisePeak(n int64) {
	for {
		p := r.peak.Load()
		if n <= p || r.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// record adds d in µs, clamping (and counting) what is out of range.
func (w *worker) record(h *hdrhistogram.Histogram, d time.Duration) {
	v := d.Microseconds()
	if v < 1 {
		v = 1
	}
	if v > maxMicros {
		w.clamped++
		v = maxMicros
	}
	_ = h.RecordValue(v) // in range by construction
}
