package results

// ShardResult is one shard of a run merged from its shards.
type ShardResult struct {
	// Index is the shard's I of I/N; Status "ok", or "missing" (never
	// registered or no results), "failed" (the process ended without
	// results or with an error) or "fell_behind" (it could not keep to
	// the schedule); Reason says more when it is not ok.
	Index  int    `json:"index"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// What the shard measured (zero when missing).
	Devices          int     `json:"devices"`
	Requests         int64   `json:"requests"`
	ScheduleLagP99Ms float64 `json:"schedule_lag_p99_ms"`
	LateEvents       int64   `json:"late_events"`
	DroppedEvents    int64   `json:"dropped_events"`
	CPUSeconds       float64 `json:"cpu_seconds"`
	PeakRSSBytes     uint64  `json:"peak_rss_bytes"`
	Verdict          Verdict `json:"verdict,omitempty"`
}

// Shard statuses.
const (
	ShardOK         = "ok"
	ShardMissing    = "missing"
	ShardFailed     = "failed"
	ShardFellBehind = "fell_behind"
)
