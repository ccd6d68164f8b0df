package scenarios

// Targets are what the run is judged against. Unset documented targets
// take the published values; Disable removes one by name.
type Targets struct {
	// AdoptionWithin: 95% of active devices run the released bundle within
	// this time of its first timeline action (default 24h).
	AdoptionWithin *Duration `yaml:"adoption_within"`
	// AdoptionShare is the share that must be reached (default 0.95).
	AdoptionShare *float64 `yaml:"adoption_share"`
	// AdoptionBundle is the bundle judged (default: the last bundle the
	// timeline releases or rolls out that is not rolled back).
	AdoptionBundle string `yaml:"adoption_bundle"`
	// CDNms: p50 real transfer time normalised to 5 MB (default 114ms).
	CDNms *float64 `yaml:"cdn_p50_ms_per_5mb"`
	// SuccessRate: successful installs over attempts (default 0.82).
	SuccessRate *float64 `yaml:"success_rate"`
	// APIMeanMs: mean /updates latency (default 434ms).
	APIMeanMs *float64 `yaml:"api_mean_ms"`
	// Disable lists documented targets to leave out: adoption, cdn,
	// success_rate, api.
	Disable []string `yaml:"disable"`
	// Extra thresholds on any summary metric, optionally per segment.
	Extra []Threshold `yaml:"extra"`
}

// Threshold is an extra pass/fail check on a metric of the summary.
type Threshold struct {
	Name    string   `yaml:"name"`
	Metric  string   `yaml:"metric"`  // e.g. api.updates.p99_ms, success_rate, adoption.time_to_95_s
	Segment string   `yaml:"segment"` // optional
	Max     *float64 `yaml:"max"`
	Min     *float64 `yaml:"min"`
}
