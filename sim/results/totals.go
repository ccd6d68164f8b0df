package results

// Totals is a run's cumulative state at one moment, for exporters that
// mirror a run while it goes (Prometheus exposition, remote write):
// counters since the start, latency histograms as counts per bucket, and
// the gauges of the moment. Counters and histograms only grow from one
// snapshot to the next, so a reader may hand them on as they are.
//
// A run of several shards adds its shards' Totals with Add: every field
// is a sum except the targets, which are judged on the merged run.
type Totals struct {
	// Requests is endpoint ("updates", "stats", "channel_self",
	// "download") → requests ended so far by outcome: all of them, so that
	// their sum is Harness.Requests at the end.
	Requests map[string]OutcomeCounts `json:"requests"`
	// Causes is endpoint → failures by cause ("http_503",
	// "connection_refused").
	Causes map[string]map[string]int64 `json:"causes"`
	// Codes is endpoint → HTTP status → replies ("0": no reply).
	Codes map[string]map[string]int64 `json:"codes"`
	// Latency is endpoint → latency from the intended send time; Service
	// from the actual send. Their Count is the replies the summary's
	// percentiles are taken over.
	Latency map[string]Buckets `json:"latency"`
	Service map[string]Buckets `json:"service"`
	// CDN is network profile → downloads.
	CDN map[string]CDNTotals `json:"cdn"`
	// ScheduleLag is when a worker took each request, against its
	// intended time.
	ScheduleLag Buckets `json:"schedule_lag"`
	// Events handled so far, and those handled later than LateBound.
	Events     int64 `json:"events"`
	LateEvents int64 `json:"late_events"`
	// DroppedEvents were due and never handled; known at the end of a
	// run (zero before).
	DroppedEvents int64 `json:"dropped_events"`
	// Backlog is requests waiting for a worker at the moment.
	Backlog int64 `json:"backlog"`

	// Active is cohort → active devices at the last sample; Running is
	// cohort → bundle → active devices running it ("builtin" included).
	Active  map[string]int64            `json:"active"`
	Running map[string]map[string]int64 `json:"running"`
	// Updates is cohort → bundle → update attempts and how they ended.
	Updates map[string]map[string]UpdateTotals `json:"updates"`
	// Targets are the scenario's targets judged on the run so far.
	Targets []TargetResult `json:"targets"`
	// Verdict is the run's, once it has ended ("" before).
	Verdict Verdict `json:"verdict,omitempty"`
}

// Buckets is a histogram in the bucket form Prometheus reads: Counts[i]
// values fell at or below Bounds()[i] and above the bound before it;
// Counts has one more slot for values above the last bound. Sum is the
// values' total in seconds.
type Buckets struct {
	Counts []int64 `json:"counts"`
	Sum    float64 `json:"sum_s"`
}

// DurationBounds are the upper bounds, in seconds, of every duration
// histogram of Totals: a millisecond to a minute, with Capgo's targets
// (114 ms per 5 MB from the CDN, 434 ms API response time) as bounds, so
// the share of requests within a target is exact.
func DurationBounds() []float64 {
	return []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.114, 0.25, 0.434, 0.5, 1, 2.5, 5, 10, 20, 30, 60}
}

// DurationBoundsMicros are DurationBounds in µs, for counting durations
// without floating point.
func DurationBoundsMicros() []int64 {
	s := DurationBounds()
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v*1e6 + 0.5)
	}
	return out
}

// Count is the number of values.
func (b Buckets) Count() int64 {
	var n int64
	for _, c := range b.Counts {
		n += c
	}
	return n
}

// Add adds o's values.
func (b *Buckets) Add(o Buckets) {
	if len(b.Counts) < len(o.Counts) {
		b.Counts = append(b.Counts, make([]int64, len(o.Counts)-len(b.Counts))...)
	}
	for i, c := range o.Counts {
		b.Counts[i] += c
	}
	b.Sum += o.Sum
}

// CDNTotals are the bundle downloads of one network profile.
type CDNTotals struct {
	// Bytes of completed downloads.
	Bytes int64 `json:"bytes"`
	// Download is each completed download's time from its intended start
	// to its last byte.
	Download Buckets `json:"download"`
	// Per5MB is each completed download's time from its intended start
	// to its last byte, normalised to 5 MB.
	Per5MB Buckets `json:"per_5mb"`
}

// UpdateTotals are the update attempts of one cohort and bundle.
type UpdateTotals struct {
	Attempts int64 `json:"attempts"`
	Installs int64 `json:"installs"`
	// Failures by the stats action that ended the attempt.
	Failures map[string]int64 `json:"failures"`
	// Rollbacks are launches of the bundle that missed notifyAppReady, after
	// which the device went back to the bundle it ran before.
	Rollbacks int64 `json:"rollbacks"`
}

// Add adds another shard's totals to t. Targets and the verdict are
// left alone: the merged run judges its own.
func (t *Totals) Add(o *Totals) {
	t.Requests = addEach(t.Requests, o.Requests, (*OutcomeCounts).Add)
	t.Causes = addEach(t.Causes, o.Causes, addCounts)
	t.Codes = addEach(t.Codes, o.Codes, addCounts)
	t.Latency = addEach(t.Latency, o.Latency, (*Buckets).Add)
	t.Service = addEach(t.Service, o.Service, (*Buckets).Add)
	t.CDN = addEach(t.CDN, o.CDN, func(x *CDNTotals, c CDNTotals) {
		x.Bytes += c.Bytes
		x.Download.Add(c.Download)
		x.Per5MB.Add(c.Per5MB)
	})
	t.ScheduleLag.Add(o.ScheduleLag)
	t.Events += o.Events
	t.LateEvents += o.LateEvents
	t.DroppedEvents += o.DroppedEvents
	t.Backlog += o.Backlog
	t.Active = addEach(t.Active, o.Active, func(x *int64, n int64) { *x += n })
	t.Running = addEach(t.Running, o.Running, addCounts)
	t.Updates = addEach(t.Updates, o.Updates, func(x *map[string]UpdateTotals, m map[string]UpdateTotals) {
		*x = addEach(*x, m, func(x *UpdateTotals, u UpdateTotals) {
			x.Attempts += u.Attempts
			x.Installs += u.Installs
			x.Rollbacks += u.Rollbacks
			addCounts(&x.Failures, u.Failures)
		})
	})
}

// addEach adds src into dst key by key with add, making dst when nil
// (dst's own values are changed, never src's).
func addEach[V any](dst, src map[string]V, add func(*V, V)) map[string]V {
	if dst == nil {
		dst = make(map[string]V, len(src))
	}
	for k, v := range src {
		x := dst[k]
		add(&x, v)
		dst[k] = x
	}
	return dst
}

// addCounts adds src's counts into *dst, making it when nil.
func addCounts(dst *map[string]int64, src map[string]int64) {
	*dst = addEach(*dst, src, func(x *int64, n int64) { *x += n })
}
