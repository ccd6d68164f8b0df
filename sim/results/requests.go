package results

import "encoding/json"

// Quantiles summarise a histogram. With no value (Count 0) the
// percentiles are null in JSON, never 0.
type Quantiles struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// MarshalJSON writes null percentiles for an empty summary.
func (q Quantiles) MarshalJSON() ([]byte, error) {
	type plain Quantiles
	if q.Count > 0 {
		return json.Marshal(plain(q))
	}
	return []byte(`{"count":0,"mean":null,"p50":null,"p90":null,"p95":null,"p99":null,"max":null}`), nil
}

// Endpoint is one API endpoint (updates, stats, channel_self): every
// request by outcome, and the latency of the successful replies measured
// from the intended send time (coordinated-omission safe); Service is
// measured from the actual send. A failed request is never in the
// latencies: its time to fail is in Failed.
type Endpoint struct {
	// Count is every request that ended; Errors those that failed;
	// ErrorRate Errors over Count.
	Count     int64         `json:"count"`
	Errors    int64         `json:"errors"`
	ErrorRate float64       `json:"error_rate"`
	Outcomes  OutcomeCounts `json:"outcomes"`
	// The latency of successful replies; null when none succeeded.
	MeanMs  *float64   `json:"mean_ms"`
	P50Ms   *float64   `json:"p50_ms"`
	P90Ms   *float64   `json:"p90_ms"`
	P95Ms   *float64   `json:"p95_ms"`
	P99Ms   *float64   `json:"p99_ms"`
	MaxMs   *float64   `json:"max_ms"`
	Service *Quantiles `json:"service_ms,omitempty"`
	// Failed is how long failed requests took to fail, from the
	// intended send time.
	Failed *Quantiles `json:"failed_ms,omitempty"`
	// ByStatus counts replies by HTTP status ("0": no reply).
	ByStatus map[string]int64 `json:"by_status,omitempty"`
	// Causes counts the failed requests by cause ("http_501",
	// "connection_refused", "timeout", "invalid_json", "wrong_shape").
	Causes map[string]int64 `json:"causes,omitempty"`
	// BySegment is the same per cohort.
	BySegment map[string]Endpoint `json:"by_segment,omitempty"`
}

// Succeeded is the number of successful replies.
func (e Endpoint) Succeeded() int64 { return e.Outcomes[OutcomeSuccess] }

// SetLatency fills the latency fields from q (all null when q is empty).
func (e *Endpoint) SetLatency(q Quantiles) {
	if q.Count == 0 {
		e.MeanMs, e.P50Ms, e.P90Ms, e.P95Ms, e.P99Ms, e.MaxMs = nil, nil, nil, nil, nil, nil
		return
	}
	v := func(x float64) *float64 { return &x }
	e.MeanMs, e.P50Ms, e.P90Ms, e.P95Ms, e.P99Ms, e.MaxMs = v(q.Mean), v(q.P50), v(q.P90), v(q.P95), v(q.P99), v(q.Max)
}

// MinPer5MBBytes is the smallest bundle whose transfer time is
// normalised to 5 MB: below it the fixed costs of a request dominate and
// "per 5 MB" means nothing.
const MinPer5MBBytes = 1_000_000

// CDN is bundle delivery. Outcomes and ErrorRate count every bundle
// download, zip and per-file (manifest); Downloads (the successful ones),
// Failures, Causes and the times are of zip downloads (the per-file ones'
// are in Deliveries). MsPerDownload is the real transfer of a successful
// download (intended request time to last byte); MsPer5MB the same
// normalised to 5 MB, for bundles of at least MinPer5MBBytes only;
// ModelledMsPer5MB the device-network time the profiles model, normalised
// the same way.
type CDN struct {
	Downloads int64         `json:"downloads"`
	Failures  int64         `json:"failures"`
	ErrorRate float64       `json:"error_rate"`
	Outcomes  OutcomeCounts `json:"outcomes"`
	// Causes counts the failed downloads by cause ("http_503",
	// "connection_reset", "checksum", "timeout", ...).
	Causes map[string]int64 `json:"causes,omitempty"`
	// FailedMs is how long failed downloads took to fail, from the
	// intended request time.
	FailedMs         Quantiles             `json:"failed_ms"`
	Bytes            int64                 `json:"bytes"`
	MsPerDownload    Quantiles             `json:"ms_per_download"`
	MsPer5MB         Quantiles             `json:"ms_per_5mb"`
	TTFBMs           Quantiles             `json:"ttfb_ms"`
	ModelledMsPer5MB Quantiles             `json:"modelled_ms_per_5mb"`
	ByProfile        map[string]CDNProfile `json:"by_profile"`
	// Deliveries compares zip and per-file delivery; MsPer5MB and the
	// counts above are of zip downloads.
	Deliveries
}

// CDNProfile is CDN for the devices of one network profile.
type CDNProfile struct {
	Downloads        int64     `json:"downloads"`
	Failures         int64     `json:"failures"`
	MsPerDownload    Quantiles `json:"ms_per_download"`
	MsPer5MB         Quantiles `json:"ms_per_5mb"`
	TTFBMs           Quantiles `json:"ttfb_ms"`
	ModelledMsPer5MB Quantiles `json:"modelled_ms_per_5mb"`
	// ThroughputMBps is the mean real throughput in MB/s.
	ThroughputMBps float64 `json:"throughput_mbps"`
}
