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
}
