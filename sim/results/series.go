package results

// SchemaSeries identifies the version of series.json.
const SchemaSeries = "otasim.series/v1"

// Series is series.json: the run sampled every SampleEveryS virtual
// seconds. Every slice is indexed like T.
type Series struct {
	Schema       string    `json:"schema"`
	SampleEveryS float64   `json:"sample_every_s"`
	T            []float64 `json:"t"` // virtual seconds since the start
	// Active is the number of active devices (a session in the last 24
	// virtual hours); ActiveByCohort the same per cohort.
	Active         []int            `json:"active"`
	ActiveByCohort map[string][]int `json:"active_by_cohort"`
	// Adoption is cohort ("all" for the fleet) → bundle → share of the
	// active devices running it.
	Adoption map[string]map[string][]float64 `json:"adoption"`
	// API is endpoint → latency percentiles over each interval.
	API map[string]IntervalLatency `json:"api"`
	// Requests, Failures and Downloads count what happened in each
	// interval; RequestsPerS is Requests over the interval's wall time.
	Requests     []int64   `json:"requests"`
	RequestsPerS []float64 `json:"requests_per_s"`
	Failures     []int64   `json:"failures"`
	Downloads    []int64   `json:"downloads"`
	// RollbackExposure is the number of devices running the rolled-back
	// bundle (zero before a rollback).
	RollbackExposure []int `json:"rollback_exposure"`
	// ScheduleLagP99Ms per interval.
	ScheduleLagP99Ms []float64 `json:"schedule_lag_p99_ms"`
}

// IntervalLatency holds per-interval percentiles, in ms, and counts.
type IntervalLatency struct {
	Count []int64   `json:"count"`
	P50   []float64 `json:"p50"`
	P95   []float64 `json:"p95"`
	P99   []float64 `json:"p99"`
}

// TimeTo is the first virtual time (s) from fromS on when share reaches x,
// interpolated between samples, as a duration from fromS; nil if never.
func TimeTo(t, share []float64, x, fromS float64) *float64 {
	for k := range t {
		if t[k] < fromS || k >= len(share) || share[k] < x {
			continue
		}
		at := t[k]
		if k > 0 && t[k-1] >= fromS && share[k] > share[k-1] {
			at = t[k-1] + (x-share[k-1])/(share[k]-share[k-1])*(t[k]-t[k-1])
		}
		v := max(at-fromS, 0)
		return &v
	}
	return nil
}
