package results

// Progress is a live snapshot of a run, handed to a progress callback
// about once a second.
type Progress struct {
	VirtualS  float64 `json:"virtual_s"`
	DurationS float64 `json:"duration_s"`
	WallS     float64 `json:"wall_s"`
	Devices   int     `json:"devices"`
	Active    int     `json:"active"`
	// Bundle is the judged bundle, Adoption its share of active devices.
	Bundle       string  `json:"bundle"`
	Adoption     float64 `json:"adoption"`
	RequestsPerS float64 `json:"requests_per_s"`
	Requests     int64   `json:"requests"`
	Failures     int64   `json:"failures"`
	InFlight     int64   `json:"in_flight"`
	LagP99Ms     float64 `json:"lag_p99_ms"`
	// TargetLostAtS is set while the target is lost: when its requests
	// began all failing (virtual seconds).
	TargetLostAtS *float64 `json:"target_lost_at_s,omitempty"`
	// Verdict and VerdictReasons are set on the last snapshot of a run
	// that was judged, so that a page watching it ends with the verdict.
	Verdict        Verdict  `json:"verdict,omitempty"`
	VerdictReasons []string `json:"verdict_reasons,omitempty"`
	// Generator health so far: events handled late (past the late
	// bound), events due and not yet handled (those still due when the
	// clock ends are the run's dropped events), and the process's CPU
	// per request.
	LateEvents      int64   `json:"late_events"`
	OverdueEvents   int64   `json:"overdue_events"`
	CPUUsPerRequest float64 `json:"cpu_us_per_request"`
	// AdoptionBySegment is, per cohort (segment or "segment/arm"), the
	// judged bundle's share of the cohort's active devices at the last
	// sample.
	AdoptionBySegment map[string]float64 `json:"adoption_by_segment,omitempty"`
	// LatencyMs is, per endpoint ("updates", "stats", "channel_self"),
	// the latency percentiles since the previous snapshot; endpoints
	// with no request in that interval are left out.
	LatencyMs map[string]LatencyQuantiles `json:"latency_ms,omitempty"`
	// Totals is the run's cumulative state, set when the run was asked
	// for it (exporters read it; the snapshot's other fields are for a
	// person watching).
	Totals *Totals `json:"totals,omitempty"`
}

// LatencyQuantiles are latency percentiles in milliseconds.
type LatencyQuantiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}
