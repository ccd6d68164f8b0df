package load

import (
	"fmt"
	"strconv"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/sim/results"
)

// Result is what a load test measured. The histograms hold µs.
type Result struct {
	Profile   string
	Workers   int
	Backlog   int
	LateBound time.Duration
	// Length is the profile's length; Wall how long the schedule ran.
	Length      time.Duration
	Wall        time.Duration
	Interrupted bool

	Scheduled, Due                                 int64
	Sent, Failed, Late, Dropped, Unsent, Cut, Done int64
	ByStatus                                       map[int]int64
	// Outcomes counts the requests that ended by outcome, Causes the
	// failed ones by cause.
	Outcomes results.OutcomeCounts
	Causes   map[string]int64
	// Outages are the spans in which every request failed (seconds
	// since the start); Aborted names the target that stopped the run.
	Outages []results.Outage
	Aborted string
	// PeakInFlight is the most requests that were in flight at once.
	PeakInFlight int64

	// Latency of successful replies from the intended send time, Service
	// from the actual one, Lag the actual minus the intended send time
	// (empty for max), Failed how long failed requests took to fail.
	Latency, Service, Lag, FailedTime *hdrhistogram.Histogram
	Clamped                           int64

	PerSecond []results.LoadSecond
	CPU       time.Duration
	CPUShare  float64

	// Final is the last progress snapshot, taken once the workers have
	// stopped: its counts are the result's, so live exports can end
	// with the summary's values.
	Final Progress
}

// result merges the workers' tallies; call it once they have all stopped.
func (r *run) result(end time.Time, cpu time.Duration, interrupted bool) *Result {
	res := &Result{Profile: r.cfg.Profile, Workers: r.cfg.Workers, LateBound: r.cfg.LateBound, Length: r.length,
		Wall: end.Sub(r.start), Interrupted: interrupted, Due: r.due.Load(), Dropped: r.dropped.Load(),
		ByStatus: map[int]int64{}, Causes: map[string]int64{}, Latency: newHist(), Service: newHist(), Lag: newHist(),
		FailedTime: newHist(), CPU: cpu, PeakInFlight: r.peak.Load(), Outages: r.loss.Outages(), Aborted: r.aborted}
	if r.sched != nil {
		res.Backlog = r.cfg.Backlog
		res.Scheduled = r.sched.Count()
	}
	secs := int((res.Wall + time.Second - 1) / time.Second)
	res.PerSecond = make([]results.LoadSecond, secs)
	for _, w := range r.workers {
		res.Latency.Merge(w.latency)
		res.Service.Merge(w.service)
		res.Lag.Merge(w.lag)
		res.FailedTime.Merge(w.failed)
		for c, n := range w.causes {
			res.Causes[c] += n
		}
		res.Clamped += w.clamped
		res.Sent += w.sent.Load()
		res.Done += w.done.Load()
		res.Late += w.late.Load()
		res.Unsent += w.unsent
		res.Cut += w.cut
		for s, n := range w.status {
			res.ByStatus[s] += n
		}
		for s, n := range w.perSec {
			for len(res.PerSecond) <= s {
				res.PerSecond = append(res.PerSecond, results.LoadSecond{})
			}
			res.PerSecond[s].Sent += n
		}
	}
	res.Final = r.progress(res.Wall)
	res.Final.LostAtS = r.last.LostAtS
	res.Outcomes, res.Failed = res.Final.Outcomes, res.Final.Failed
	if r.sched != nil {
		for s := range res.PerSecond {
			from, to := time.Duration(s)*time.Second, time.Duration(s+1)*time.Second
			res.PerSecond[s].Due = r.sched.DueBy(to) - r.sched.DueBy(from)
		}
	}
	res.CPUShare = cpuShare(cpu, res.Wall)
	return res
}

// IntendedRate is the requests due per second of the run.
func (r *Result) IntendedRate() float64 { return perSecond(r.Due, r.Wall) }

// AchievedRate is the requests sent per second of the run.
func (r *Result) AchievedRate() float64 { return perSecond(r.Sent, r.Wall) }

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Saturation thresholds: a generator that is this far behind, or this
// busy, is measuring itself as much as the server.
const (
	lateShareLimit = 0.01
	cpuShareLimit  = 0.9
)

// Reasons lists why the generator counts as saturated, each limit with
// its measured value; empty when it kept its schedule with CPU to spare.
// The max profile has no schedule to keep and is meant to use the
// machine: it is never saturated.
func (r *Result) Reasons() []string {
	if r.Profile == ProfileMax {
		return nil
	}
	var out []string
	if r.Dropped > 0 {
		out = append(out, fmt.Sprintf("%d requests dropped (the backlog of %d was full) > 0", r.Dropped, r.Backlog))
	}
	if r.Sent > 0 && float64(r.Late) > lateShareLimit*float64(r.Sent) {
		out = append(out, fmt.Sprintf("%.1f%% of requests sent more than %v after their intended time > %.0f%%",
			100*float64(r.Late)/float64(r.Sent), r.LateBound, 100*lateShareLimit))
	}
	if r.Lag.TotalCount() > 0 {
		if p99 := time.Duration(r.Lag.ValueAtQuantile(99)) * time.Microsecond; p99 > r.LateBound {
			out = append(out, fmt.Sprintf("schedule lag p99 %v > %v", p99, r.LateBound))
		}
	}
	if r.CPUShare >= cpuShareLimit {
		out = append(out, fmt.Sprintf("the process used %.0f%% of the CPU available > %.0f%%", 100*r.CPUShare, 100*cpuShareLimit))
	}
	return out
}

// Summary returns the result as summary.json's "load" section.
func (r *Result) Summary() results.Load {
	s := results.Load{Profile: r.Profile, DurationS: r.Length.Seconds(), WallS: r.Wall.Seconds(), Workers: r.Workers,
		Backlog: r.Backlog, Scheduled: r.Scheduled, Due: r.Due, Sent: r.Sent, Failed: r.Failed, Late: r.Late,
		LateBoundMs: ms(r.LateBound), Dropped: r.Dropped, Unsent: r.Unsent, Cut: r.Cut,
		IntendedRPS: r.IntendedRate(), AchievedRPS: r.AchievedRate(),
		LatencyMs: Quantiles(r.Latency), ServiceMs: Quantiles(r.Service), ScheduleLagMs: Quantiles(r.Lag),
		Clamped: r.Clamped, ByStatus: map[string]int64{}, CPUSeconds: r.CPU.Seconds(), CPUShare: r.CPUShare,
		Reasons: r.Reasons(), PerSecond: r.PerSecond}
	s.Saturated = len(s.Reasons) > 0
	for st, n := range r.ByStatus {
		s.ByStatus[strconv.Itoa(st)] = n
	}
	return s
}

// Quantiles summarises a histogram of µs in ms.
func Quantiles(h *hdrhistogram.Histogram) results.Quantiles {
	if h.TotalCount() == 0 {
		return results.Quantiles{}
	}
	q := func(p float64) float64 { return float64(h.ValueAtQuantile(p)) / 1000 }
	return results.Quantiles{Count: h.TotalCount(), Mean: h.Mean() / 1000, P50: q(50), P90: q(90), P95: q(95),
		P99: q(99), Max: float64(h.Max()) / 1000}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
