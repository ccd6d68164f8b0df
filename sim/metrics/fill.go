package metrics

import (
	"errors"
	"maps"
	"strconv"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/sim/results"
)

// Quantiles summarises h, whose values are in units of scale (e.g. 1e-3
// turns µs into ms), as the summary does.
func Quantiles(h *hdrhistogram.Histogram, scale float64) results.Quantiles {
	return quantiles(h, scale)
}

func quantiles(h *hdrhistogram.Histogram, scale float64) results.Quantiles {
	if h.TotalCount() == 0 {
		return results.Quantiles{}
	}
	return results.Quantiles{
		Count: h.TotalCount(),
		Mean:  h.Mean() * scale,
		P50:   float64(h.ValueAtQuantile(50)) * scale,
		P90:   float64(h.ValueAtQuantile(90)) * scale,
		P95:   float64(h.ValueAtQuantile(95)) * scale,
		P99:   float64(h.ValueAtQuantile(99)) * scale,
		Max:   float64(h.Max()) * scale,
	}
}

// APISummary summarises the endpoints: every request by outcome, and the
// latency (from the intended send time) of the successful replies.
func (r *Recorder) APISummary(cohorts []string) map[string]results.Endpoint {
	out := map[string]results.Endpoint{}
	names := EndpointNames()
	for e := range NumEndpoints {
		oc := r.apiOut[e]
		ep := results.Endpoint{Count: oc.Total(), Errors: oc.Failed(), ErrorRate: results.ErrorRate(oc), Outcomes: oc,
			ByStatus: map[string]int64{}, BySegment: map[string]results.Endpoint{}}
		ep.SetLatency(quantiles(r.api[e].h, 1e-3))
		svc := quantiles(r.apiService[e].h, 1e-3)
		ep.Service = &svc
		if ep.Errors > 0 {
			failed := quantiles(r.apiFailed[e].h, 1e-3)
			ep.Failed = &failed
			ep.Causes = maps.Clone(r.apiCauses[e])
		}
		for s, n := range r.apiStatus[e] {
			ep.ByStatus[strconv.Itoa(s)] = n
		}
		for c, name := range cohorts {
			if c >= r.cohorts || r.apiCohortN[e][c] == 0 {
				continue
			}
			n, failed := r.apiCohortN[e][c], r.apiCohortE[e][c]
			seg := results.Endpoint{Count: n, Errors: failed, ErrorRate: float64(failed) / float64(n)}
			seg.Outcomes[results.OutcomeSuccess] = n - failed
			seg.SetLatency(quantiles(r.apiCohort[e][c].h, 1e-3))
			ep.BySegment[name] = seg
		}
		out[names[e]] = ep
	}
	return out
}

// CDN summarises the downloads, per network profile and in all.
func (r *Recorder) CDN(profiles []string) results.CDN {
	all := struct{ perDL, ms5, ttfb, model, failed *hdrhistogram.Histogram }{newMicros(), newMicros(), newMicros(), newMicros(), newMicros()}
	out := results.CDN{ByProfile: map[string]results.CDNProfile{}, Causes: map[string]int64{}}
	for p := range r.cdn {
		x := &r.cdn[p]
		all.perDL.Merge(x.perDL.h)
		all.ms5.Merge(x.ms5.h)
		all.ttfb.Merge(x.ttfb.h)
		all.model.Merge(x.model.h)
		all.failed.Merge(x.failed.h)
		out.Downloads += x.downloads
		out.Failures += x.failures
		out.Bytes += x.bytes
		out.Outcomes.Add(x.outcomes)
		for k, v := range x.causes {
			out.Causes[k] += v
		}
		if x.downloads+x.failures == 0 {
			continue
		}
		name := "default"
		if p < len(profiles) {
			name = profiles[p]
		}
		cp := results.CDNProfile{Downloads: x.downloads, Failures: x.failures, MsPerDownload: quantiles(x.perDL.h, 1e-3),
			MsPer5MB: quantiles(x.ms5.h, 1e-3), TTFBMs: quantiles(x.ttfb.h, 1e-3), ModelledMsPer5MB: quantiles(x.model.h, 1e-3)}
		if x.realMicros > 0 {
			cp.ThroughputMBps = float64(x.bytes) / float64(x.realMicros) // bytes/µs = MB/s
		}
		out.ByProfile[name] = cp
	}
	out.ErrorRate = results.ErrorRate(out.Outcomes)
	out.MsPerDownload = quantiles(all.perDL, 1e-3)
	out.MsPer5MB = quantiles(all.ms5, 1e-3)
	out.TTFBMs = quantiles(all.ttfb, 1e-3)
	out.ModelledMsPer5MB = quantiles(all.model, 1e-3)
	out.FailedMs = quantiles(all.failed, 1e-3)
	return out
}

// InstallTime summarises install times in virtual seconds, per cohort and
// "all".
func (r *Recorder) InstallTime(cohorts []string) map[string]results.Quantiles {
	out := map[string]results.Quantiles{"all": quantiles(r.installAll.h, 1e-3)}
	for c, name := range cohorts {
		if c < len(r.install) && r.install[c].h.TotalCount() > 0 {
			out[name] = quantiles(r.install[c].h, 1e-3)
		}
	}
	return out
}

// SuccessRate sums the outcomes: per cohort, per bundle, and in all.
// Attempts without an outcome are in progress and left out of the rate;
// abandoned attempts leave it too.
func (r *Recorder) SuccessRate(cohorts []string) results.SuccessRate {
	all := &Outcome{Failures: map[string]int64{}}
	bySeg := map[string]results.SuccessCount{}
	byBundle := map[string]*Outcome{}
	add := func(dst, src *Outcome) {
		dst.Attempts += src.Attempts
		dst.Successes += src.Successes
		dst.Abandoned += src.Abandoned
		for k, v := range src.Failures {
			dst.Failures[k] += v
		}
	}
	for c, m := range r.outcomes {
		seg := &Outcome{Failures: map[string]int64{}}
		for b, o := range m {
			add(seg, o)
			if byBundle[b] == nil {
				byBundle[b] = &Outcome{Failures: map[string]int64{}}
			}
			add(byBundle[b], o)
		}
		add(all, seg)
		if c < len(cohorts) && seg.Attempts > 0 {
			bySeg[cohorts[c]] = count(seg)
		}
	}
	total := count(all)
	out := results.SuccessRate{Overall: total.Rate, Attempts: total.Attempts, Successes: total.Successes,
		InProgress: total.InProgress, Failures: total.Failures, Interval: total.Interval,
		BySegment: bySeg, ByBundle: map[string]results.SuccessCount{}}
	for b, o := range byBundle {
		out.ByBundle[b] = count(o)
	}
	return out
}

// count turns an outcome into the summary's shape: Attempts are the
// attempts that ended (success or failure).
func count(o *Outcome) results.SuccessCount {
	failed := o.failed()
	ended := o.Successes + failed
	sc := results.SuccessCount{Attempts: ended, Successes: o.Successes, Failures: o.Failures,
		InProgress: max(o.Attempts-ended-o.Abandoned, 0)}
	if ended > 0 {
		sc.Rate = float64(o.Successes) / float64(ended)
		sc.Interval = wilson(o.Successes, ended)
	}
	return sc
}

// EngagementSummary returns engagement per cohort and bundle.
func (r *Recorder) EngagementSummary(cohorts []string) map[string]map[string]results.Engagement {
	out := map[string]map[string]results.Engagement{}
	for c, m := range r.engagement {
		if c >= len(cohorts) || len(m) == 0 {
			continue
		}
		seg := map[string]results.Engagement{}
		for b, e := range m {
			x := results.Engagement{Sessions: e.Sessions, JSErrors: e.JSErrors, FailedLaunches: e.FailedLaunches}
			if e.Sessions > 0 {
				x.MeanSessionS = float64(e.SessionMs) / 1000 / float64(e.Sessions)
				x.ErrorRate = float64(e.JSErrors) / float64(e.Sessions)
			}
			seg[b] = x
		}
		out[cohorts[c]] = seg
	}
	return out
}

// Harness fills the generator's health (lag, events, requests).
func (r *Recorder) Harness(h *results.Harness) {
	h.ScheduleLagP99Ms = float64(r.lag.h.ValueAtQuantile(99)) / 1e3
	h.ScheduleLagMaxMs = float64(r.lag.h.Max()) / 1e3
	h.LateEvents = r.late
	h.Events = r.events
	h.Requests = r.requests
	h.PeakInFlight = r.peakInFlight
}

// Clamped is the number of values clamped to a histogram's range.
func (r *Recorder) Clamped() int64 {
	var n int64
	for e := range NumEndpoints {
		n += r.api[e].clamped + r.apiService[e].clamped + r.apiFailed[e].clamped
	}
	for _, p := range r.cdn {
		n += p.perDL.clamped + p.ms5.clamped + p.ttfb.clamped + p.model.clamped + p.failed.clamped
	}
	return n + r.installAll.clamped + r.lag.clamped
}

// Histograms exports every histogram losslessly.
func (r *Recorder) Histograms(cohorts, profiles []string) (results.Histograms, error) {
	out := results.Histograms{Histograms: map[string]results.Histogram{}}
	var errs []error
	put := func(name, unit string, h *hdrhistogram.Histogram) {
		if h.TotalCount() == 0 {
			return
		}
		x, err := results.Encode(h, unit)
		if err != nil {
			errs = append(errs, err)
			return
		}
		out.Histograms[name] = x
	}
	names := EndpointNames()
	for e := range NumEndpoints {
		put("api."+names[e]+".latency", "us", r.api[e].h)
		put("api."+names[e]+".service", "us", r.apiService[e].h)
		put("api."+names[e]+".failed", "us", r.apiFailed[e].h)
		for c, n := range cohorts {
			if c < r.cohorts {
				put("api."+names[e]+".latency.cohort."+n, "us", r.apiCohort[e][c].h)
			}
		}
	}
	for p := range r.cdn {
		name := "default"
		if p < len(profiles) {
			name = profiles[p]
		}
		put("cdn.ms_per_download.profile."+name, "us", r.cdn[p].perDL.h)
		put("cdn.failed.profile."+name, "us", r.cdn[p].failed.h)
		put("cdn.ms_per_5mb.profile."+name, "us", r.cdn[p].ms5.h)
		put("cdn.ttfb.profile."+name, "us", r.cdn[p].ttfb.h)
		put("cdn.modelled_ms_per_5mb.profile."+name, "us", r.cdn[p].model.h)
	}
	for c, n := range cohorts {
		if c < len(r.install) {
			put("install_time.cohort."+n, "ms", r.install[c].h)
		}
	}
	put("schedule_lag", "us", r.lag.h)
	for k, x := range r.ivlHists {
		out.Histograms[IntervalName(k.name, k.sample)] = x
	}
	return out, errors.Join(append(errs, r.ivlErr)...)
}

// Interval is what happened since the previous call: per-endpoint
// percentiles (ms), counts, and the generator's lag.
type Interval struct {
	API [NumEndpoints]struct {
		Count         int64
		P50, P95, P99 float64
	}
	Requests, Failures, Downloads int64
	LagP99Ms                      float64
}

// IntervalAPI is one endpoint's interval.
type IntervalAPI struct {
	Count         int64
	P50, P95, P99 float64
}

// TakeInterval returns the interval's figures and starts a new interval.
func (r *Recorder) TakeInterval() Interval {
	var iv Interval
	names := EndpointNames()
	for e := range NumEndpoints {
		h := r.apiIvl[e].h
		r.keepInterval("api."+names[e]+".latency", h)
		iv.API[e].Count = h.TotalCount()
		if h.TotalCount() > 0 {
			iv.API[e].P50 = float64(h.ValueAtQuantile(50)) / 1e3
			iv.API[e].P95 = float64(h.ValueAtQuantile(95)) / 1e3
			iv.API[e].P99 = float64(h.ValueAtQuantile(99)) / 1e3
		}
		h.Reset()
	}
	iv.Requests, iv.Failures, iv.Downloads = r.ivlRequests, r.ivlFailures, r.ivlDownloads
	r.ivlRequests, r.ivlFailures, r.ivlDownloads = 0, 0, 0
	iv.LagP99Ms = float64(r.lagIvl.h.ValueAtQuantile(99)) / 1e3
	r.keepInterval("schedule_lag", r.lagIvl.h)
	r.lagIvl.h.Reset()
	r.ivlSample++
	return iv
}

// TakeProgress returns each endpoint's latency percentiles (ms) since the
// previous call, for the live progress snapshot, and starts a new
// progress interval. It is kept apart from TakeInterval because progress
// is taken on the wall clock and samples on the virtual one.
func (r *Recorder) TakeProgress() [NumEndpoints]IntervalAPI {
	var out [NumEndpoints]IntervalAPI
	for e := range NumEndpoints {
		h := r.apiProg[e].h
		out[e].Count = h.TotalCount()
		if h.TotalCount() > 0 {
			out[e].P50 = float64(h.ValueAtQuantile(50)) / 1e3
			out[e].P95 = float64(h.ValueAtQuantile(95)) / 1e3
			out[e].P99 = float64(h.ValueAtQuantile(99)) / 1e3
		}
		h.Reset()
	}
	return out
}

// intervalKey names an interval's histogram: the whole run's name and
// the sample (index in series.json) that closed the interval.
type intervalKey struct {
	name   string
	sample int
}

// IntervalName is the name in histograms.json of the histogram of name
// over the interval that sample k of series.json closed: merging the
// shards' interval histograms gives the fleet's per-interval percentiles.
func IntervalName(name string, k int) string { return name + ".interval." + strconv.Itoa(k) }

// KeepIntervals makes the recorder keep every interval's histograms for
// histograms.json: a shard's run needs them, so that the merged run's
// per-interval percentiles are exact; a whole run does without the cost.
func (r *Recorder) KeepIntervals() { r.keepIvl = true }

// keepInterval keeps the interval's histogram (a few hundred bytes
// encoded) for histograms.json.
func (r *Recorder) keepInterval(name string, h *hdrhistogram.Histogram) {
	if !r.keepIvl || h.TotalCount() == 0 {
		return
	}
	x, err := results.Encode(h, "us")
	if err != nil {
		r.ivlErr = errors.Join(r.ivlErr, err)
		return
	}
	if r.ivlHists == nil {
		r.ivlHists = map[intervalKey]results.Histogram{}
	}
	r.ivlHists[intervalKey{name, r.ivlSample}] = x
}
