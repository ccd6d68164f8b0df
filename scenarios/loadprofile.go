package scenarios

// LoadProfile turns a scenario into a plain load test of device checks instead
// of (or beside) the rollout simulation; k6's arrival-rate executors are
// the model.
type LoadProfile struct {
	// Profile: constant (Rate for Duration), ramping (Stages), or max
	// (as fast as the workers go, for Duration).
	Profile  string   `yaml:"profile"`
	Rate     float64  `yaml:"rate"` // requests per second
	Duration Duration `yaml:"duration"`
	Stages   []Stage  `yaml:"stages,omitempty"`
}

// Stage ramps the arrival rate linearly to Target over Duration.
type Stage struct {
	Target   float64  `yaml:"target"`
	Duration Duration `yaml:"duration"`
}

// Load profiles.
const (
	ProfileConstant = "constant"
	ProfileRamping  = "ramping"
	ProfileMax      = "max"
)

func (c *checker) checkLoad() {
	l := c.s.Load
	if l == nil {
		return
	}
	switch l.Profile {
	case ProfileConstant:
		if l.Rate == 0 {
			c.missingOr("load.rate", "0", "requests per second above 0")
		} else if !(l.Rate > 0 && l.Rate <= 1e6) {
			c.add("load.rate", "%v is out of range (expected requests per second above 0 and at most 1000000)", l.Rate)
		}
		c.loadDuration("load.duration", l.Duration)
	case ProfileRamping:
		if len(l.Stages) == 0 {
			c.add("load.stages", "empty (expected at least one stage with target and duration)")
		}
		for i, st := range l.Stages {
			p := indexPath("load.stages", i)
			if !(st.Target >= 0 && st.Target <= 1e6) {
				c.add(p+".target", "%v is out of range (expected requests per second from 0 to 1000000)", st.Target)
			}
			c.loadDuration(p+".duration", st.Duration)
		}
	case ProfileMax:
		c.loadDuration("load.duration", l.Duration)
	case "":
		c.add("load.profile", "missing (expected constant, ramping or max)")
	default:
		c.add("load.profile", "%s is not a load profile (expected constant, ramping or max)", quoteShort(l.Profile))
	}
	if l.Profile != ProfileRamping && len(l.Stages) > 0 {
		c.add("load.stages", "stages are for the ramping profile only")
	}
}

func (c *checker) loadDuration(path string, d Duration) {
	if d <= 0 {
		c.missingOr(path, "0s", "a duration above 0, such as 10m")
	}
}
