package results

// Load is the outcome of a plain load test (a scenario with a load
// profile): summary.json "load". Latencies are real milliseconds.
type Load struct {
	// Profile is constant, ramping or max.
	Profile string `json:"profile"`
	// DurationS is the profile's length, WallS how long it ran (shorter
	// when interrupted).
	DurationS float64 `json:"duration_s"`
	WallS     float64 `json:"wall_s"`
	Workers   int     `json:"workers"`
	Backlog   int     `json:"backlog"`

	// Scheduled is every request of the profile's schedule, Due those
	// whose intended time came before the run stopped (0 for max, which
	// has no schedule).
	Scheduled int64 `json:"scheduled"`
	Due       int64 `json:"due"`
	// Sent requests left the generator; Failed got no reply, a 5xx, a 429
	// or a reply that is not the protocol's JSON.
	Sent   int64 `json:"sent"`
	Failed int64 `json:"failed"`
	// Late were sent more than LateBoundMs after their intended time.
	Late        int64   `json:"late"`
	LateBoundMs float64 `json:"late_bound_ms"`
	// Dropped were due while the backlog was full; Unsent were due but
	// still waiting when the run stopped; Cut were in flight when the
	// drain timeout ended them. None of them is in the latencies.
	Dropped int64 `json:"dropped"`
	Unsent  int64 `json:"unsent"`
	Cut     int64 `json:"cut"`

	// IntendedRPS is Due over the wall time; AchievedRPS is Sent over it.
	IntendedRPS float64 `json:"intended_rps"`
	AchievedRPS float64 `json:"achieved_rps"`

	// LatencyMs is from the intended send time (coordinated-omission
	// safe); ServiceMs from the actual send; ScheduleLagMs is actual minus
	// intended send time. For max the intended time is the actual one.
	LatencyMs     Quantiles `json:"latency_ms"`
	ServiceMs     Quantiles `json:"service_ms"`
	ScheduleLagMs Quantiles `json:"schedule_lag_ms"`
	// Clamped counts values beyond the histograms' range (an hour),
	// recorded as the maximum.
	Clamped  int64            `json:"clamped,omitempty"`
	ByStatus map[string]int64 `json:"by_status"`

	// CPUSeconds is the process's CPU time during the run; CPUShare that
	// over the wall time and the cores available (1 = every core busy).
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUShare   float64 `json:"cpu_share"`
	// Saturated is true when the generator could not keep its schedule
	// (late or dropped requests, schedule lag over the bound) or used the
	// whole machine: the latencies then include its own delay.
	Saturated bool     `json:"saturated"`
	Reasons   []string `json:"reasons,omitempty"`

	// PerSecond is, for each second of the run, the requests due by the
	// schedule and those sent.
	PerSecond []LoadSecond `json:"per_second"`
}

// LoadSecond is one second of a load test.
type LoadSecond struct {
	Due  int64 `json:"due"`
	Sent int64 `json:"sent"`
}
