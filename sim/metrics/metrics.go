// Package metrics records what a run measures: HDR histograms
// (github.com/HdrHistogram/hdrhistogram-go) for every latency, per endpoint
// and cohort, per interval, per network profile; counters for update
// attempts and outcomes, engagement and the harness. One Recorder belongs
// to the engine goroutine (HdrHistogram has no lock); nothing keeps every
// sample.
package metrics

import (
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/sim/results"
)

// Endpoints of the API, as the summary names them.
const (
	Updates = iota
	Stats
	Channel
	NumEndpoints
)

// EndpointNames are the summary's names of the endpoints.
func EndpointNames() [NumEndpoints]string { return [...]string{"updates", "stats", "channel_self"} }

// Histogram ranges: latencies in µs up to an hour, virtual times in ms up
// to 60 days.
const (
	maxMicros = int64(time.Hour / time.Microsecond)
	maxMillis = int64(60 * 24 * time.Hour / time.Millisecond)
	sigDigits = 3
)

func newMicros() *hdrhistogram.Histogram { return hdrhistogram.New(1, maxMicros, sigDigits) }
func newMillis() *hdrhistogram.Histogram { return hdrhistogram.New(1, maxMillis, sigDigits) }

// hist wraps a histogram and counts values it had to clamp, so nothing is
// dropped silently; b, when set, counts the same values in the buckets
// of the run's live totals.
type hist struct {
	h       *hdrhistogram.Histogram
	clamped int64
	b       *buckets
}

func (x *hist) record(v int64) {
	if v < 1 {
		v = 1 // a sub-unit value is recorded as the smallest unit
	}
	if v > x.h.HighestTrackableValue() {
		x.clamped++
		v = x.h.HighestTrackableValue()
	}
	_ = x.h.RecordValue(v) // in range by construction
	if x.b != nil {
		x.b.observe(v)
	}
}

// Outcome of an update attempt.
type Outcome struct {
	Attempts, Successes, Abandoned int64
	Failures                       map[string]int64
}

func (o *Outcome) failed() int64 {
	var n int64
	for _, v := range o.Failures {
		n += v
	}
	return n
}

// Engagement per cohort and bundle.
type Engagement struct {
	Sessions       int64
	SessionMs      int64
	JSErrors       int64
	FailedLaunches int64
}

// Recorder holds a run's metrics. Not safe for concurrent use: the engine
// goroutine owns it.
type Recorder struct {
	cohorts  int
	profiles int

	// Latencies of successful replies only; failed requests go to
	// apiFailed (their time to fail), counted by outcome and cause.
	api        [NumEndpoints]hist
	apiService [NumEndpoints]hist
	apiCohort  [NumEndpoints][]hist
	apiIvl     [NumEndpoints]hist
	apiProg    [NumEndpoints]hist // since the last progress snapshot
	apiFailed  [NumEndpoints]hist
	apiOut     [NumEndpoints]results.OutcomeCounts
	apiCauses  [NumEndpoints]map[string]int64
	apiStatus  [NumEndpoints]map[int]int64
	apiCohortN [NumEndpoints][]int64
	apiCohortE [NumEndpoints][]int64

	cdn          []cdnProfile
	install      []hist // per cohort, virtual ms
	installAll   hist
	lag, lagIvl  hist
	late         int64
	events       int64
	requests     int64
	peakInFlight int64

	// outcomes and engagement: [cohort] → bundle → value
	outcomes   []map[string]*Outcome
	engagement []map[string]*Engagement

	ivlRequests, ivlFailures, ivlDownloads int64
	// ivlHists are the intervals' histograms, encoded as each interval
	// closes when keepIvl (ivlSample counts the intervals).
	keepIvl   bool
	ivlHists  map[intervalKey]results.Histogram
	ivlSample int
	ivlErr    error
}

type cdnProfile struct {
	// µs: per download, per 5 MB (ms5 and model, bundles of at least
	// results.MinPer5MBBytes), to the first byte, to failing.
	perDL, ms5, ttfb, model, failed hist
	downloads, failures             int64
	bytes                           int64
	realMicros                      int64
	outcomes                        results.OutcomeCounts
	causes                          map[string]int64
}

// New returns a recorder for the given numbers of cohorts and network
// profiles (at least 1 each).
func New(cohorts, profiles int) *Recorder {
	cohorts, profiles = max(cohorts, 1), max(profiles, 1)
	r := &Recorder{cohorts: cohorts, profiles: profiles}
	bounds := results.DurationBoundsMicros()
	for e := range NumEndpoints {
		r.api[e] = hist{h: newMicros(), b: newBuckets(bounds)}
		r.apiService[e] = hist{h: newMicros(), b: newBuckets(bounds)}
		r.apiIvl[e] = hist{h: newMicros()}
		r.apiProg[e] = hist{h: newMicros()}
		r.apiFailed[e] = hist{h: newMicros()}
		r.apiStatus[e] = map[int]int64{}
		r.apiCauses[e] = map[string]int64{}
		r.apiCohort[e] = make([]hist, cohorts)
		for c := range cohorts {
			r.apiCohort[e][c] = hist{h: newMicros()}
		}
		r.apiCohortN[e] = make([]int64, cohorts)
		r.apiCohortE[e] = make([]int64, cohorts)
	}
	r.cdn = make([]cdnProfile, profiles)
	for p := range r.cdn {
		r.cdn[p] = cdnProfile{perDL: hist{h: newMicros(), b: newBuckets(bounds)}, ms5: hist{h: newMicros(), b: newBuckets(bounds)}, ttfb: hist{h: newMicros()},
			model: hist{h: newMicros()}, failed: hist{h: newMicros()}, causes: map[string]int64{}}
	}
	r.install = make([]hist, cohorts)
	for c := range r.install {
		r.install[c] = hist{h: newMillis()}
	}
	r.installAll = hist{h: newMillis()}
	r.lag, r.lagIvl = hist{h: newMicros(), b: newBuckets(bounds)}, hist{h: newMicros()}
	r.outcomes = make([]map[string]*Outcome, cohorts)
	r.engagement = make([]map[string]*Engagement, cohorts)
	for c := range cohorts {
		r.outcomes[c] = map[string]*Outcome{}
		r.engagement[c] = map[string]*Engagement{}
	}
	return r
}

// API records one API call: latency from the intended send time, service
// time from the actual send, the HTTP status (0: no reply), and how it
// ended. Only a successful reply's times are latencies; a failed
// request's time to fail goes to its own histogram, and its cause
// ("http_503", "connection_refused") is counted.
func (r *Recorder) API(ep, cohort int, latency, service time.Duration, status int, o results.Outcome, cause string) {
	us := latency.Microseconds()
	r.apiOut[ep][o]++
	r.apiStatus[ep][status]++
	r.apiCohortN[ep][cohort]++
	r.requests++
	r.ivlRequests++
	if o.Failed() {
		r.apiFailed[ep].record(us)
		r.apiCauses[ep][cause]++
		r.apiCohortE[ep][cohort]++
		r.ivlFailures++
		return
	}
	r.api[ep].record(us)
	r.apiIvl[ep].record(us)
	r.apiProg[ep].record(us)
	r.apiService[ep].record(service.Microseconds())
	r.apiCohort[ep][cohort].record(us)
}

// Download records a bundle download of size bytes: real is the intended
// request time to last byte (or to failing), ttfb the time to first byte,
// modelled the device-network time of its profile. Only downloads of
// bundles of at least results.MinPer5MBBytes are normalised to 5 MB.
func (r *Recorder) Download(profile int, size int64, real, ttfb, modelled time.Duration, o results.Outcome, cause string) {
	p := &r.cdn[profile]
	r.ivlDownloads++
	r.requests++ // a download is a request too
	r.ivlRequests++
	p.outcomes[o]++
	if o.Failed() {
		p.failures++
		p.causes[cause]++
		p.failed.record(real.Microseconds())
		return
	}
	p.downloads++
	p.bytes += size
	p.realMicros += real.Microseconds()
	p.perDL.record(real.Microseconds())
	p.ttfb.record(ttfb.Microseconds())
	if size >= results.MinPer5MBBytes {
		p.ms5.record(Per5MB(real, size).Microseconds())
		p.model.record(Per5MB(modelled, size).Microseconds())
	}
}

// FilesDownload counts a per-file (manifest) bundle download by outcome,
// beside the zips: the CDN's error rate covers both (the files' own times
// are the deliveries').
func (r *Recorder) FilesDownload(profile int, o results.Outcome, cause string) {
	p := &r.cdn[profile]
	r.ivlDownloads++
	p.outcomes[o]++
	if o.Failed() {
		p.causes[cause]++
	}
}

// Per5MB normalises a transfer time of size bytes to 5 MB (5,000,000
// bytes).
func Per5MB(d time.Duration, size int64) time.Duration {
	if size <= 0 {
		return d
	}
	return time.Duration(float64(d) * 5e6 / float64(size))
}

// Lag records the schedule lag of one request (dispatch − intended).
func (r *Recorder) Lag(d time.Duration) {
	r.lag.record(d.Microseconds())
	r.lagIvl.record(d.Microseconds())
}

// Event counts a handled event; late when it ran after the late bound.
func (r *Recorder) Event(late bool) {
	r.events++
	if late {
		r.late++
	}
}

// InFlight tracks the peak of requests in flight.
func (r *Recorder) InFlight(n int64) { r.peakInFlight = max(r.peakInFlight, n) }

func (r *Recorder) outcome(cohort int, bundle string) *Outcome {
	o := r.outcomes[cohort][bundle]
	if o == nil {
		o = &Outcome{Failures: map[string]int64{}}
		r.outcomes[cohort][bundle] = o
	}
	return o
}

// Attempt counts an update attempt (a download started).
func (r *Recorder) Attempt(cohort int, bundle string) { r.outcome(cohort, bundle).Attempts++ }

// Success counts a successful install and its install time (virtual, from
// the first offer).
func (r *Recorder) Success(cohort int, bundle string, installTime time.Duration) {
	r.outcome(cohort, bundle).Successes++
	ms := installTime.Milliseconds()
	r.install[cohort].record(ms)
	r.installAll.record(ms)
}

// Failure counts a failed attempt by the action that ended it.
func (r *Recorder) Failure(cohort int, bundle, action string) {
	r.outcome(cohort, bundle).Failures[action]++
}

// Abandon counts an attempt superseded by a newer bundle or cut short by
// an uninstall: it leaves the rate.
func (r *Recorder) Abandon(cohort int, bundle string) { r.outcome(cohort, bundle).Abandoned++ }

func (r *Recorder) eng(cohort int, bundle string) *Engagement {
	e := r.engagement[cohort][bundle]
	if e == nil {
		e = &Engagement{}
		r.engagement[cohort][bundle] = e
	}
	return e
}

// Session counts a finished session of a cohort on a bundle.
func (r *Recorder) Session(cohort int, bundle string, length time.Duration, jsError bool) {
	e := r.eng(cohort, bundle)
	e.Sessions++
	e.SessionMs += length.Milliseconds()
	if jsError {
		e.JSErrors++
	}
}

// FailedLaunch counts a launch that missed notifyAppReady.
func (r *Recorder) FailedLaunch(cohort int, bundle string) { r.eng(cohort, bundle).FailedLaunches++ }

// Requests is the number of requests recorded, API calls and downloads.
func (r *Recorder) Requests() int64 { return r.requests }

// Failures is the number of failed API calls.
func (r *Recorder) Failures() int64 {
	var n int64
	for _, o := range r.apiOut {
		n += o.Failed()
	}
	return n
}

// Late is the number of events handled late so far.
func (r *Recorder) Late() int64 { return r.late }

// LagP99 is the schedule lag's 99th percentile so far.
func (r *Recorder) LagP99() time.Duration {
	return time.Duration(r.lag.h.ValueAtQuantile(99)) * time.Microsecond
}

// Wilson is the 95% Wilson score interval of k successes in n.
func Wilson(k, n int64) [2]float64 { return wilson(k, n) }

func wilson(k, n int64) [2]float64 {
	if n == 0 {
		return [2]float64{0, 0}
	}
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nf := float64(n)
	d := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / d
	h := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return [2]float64{max(0, c-h), min(1, c+h)}
}
