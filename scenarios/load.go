package scenarios

// Load turns a scenario into a plain load test of device checks instead
// of (or beside) the rollout simulation; k6's arrival-rate executors are
// the model.
type Load struct {
	// Profile: constant (Rate for Duration), ramping (Stages), or max
	// (as fast as the workers go, for Duration).
	Profile  string   `yaml:"profile"`
	Rate     float64  `yaml:"rate"` // requests per second
	Duration Duration `yaml:"duration"`
	Stages   []Stage  `yaml:"stages"`
}

// Stage ramps the arrival rate linearly to Target over Duration.
type Stage struct {
	Target   float64  `yaml:"target"`
	Duration Duration `yaml:"duration"`
}
