package scenarios

import (
	"math"
	"strconv"
)

// Release points a channel at a bundle for every device.
type Release struct {
	Channel string `yaml:"channel"`
	Bundle  string `yaml:"bundle"`
}

func (r *Release) check(c *checker, p string) {
	c.channelRef(p+".channel", r.Channel)
	c.bundleRef(p+".bundle", r.Bundle)
}

// Rollout starts a progressive rollout of a bundle on a channel.
type Rollout struct {
	Channel string  `yaml:"channel"`
	Bundle  string  `yaml:"bundle"`
	Percent float64 `yaml:"percent"` // 0..100, to 0.01
}

// BasisPoints returns the percentage in basis points (0–10000), as the
// server's admin API takes it.
func (r *Rollout) BasisPoints() int { return basisPoints(r.Percent) }

func (r *Rollout) check(c *checker, p string) {
	c.channelRef(p+".channel", r.Channel)
	c.bundleRef(p+".bundle", r.Bundle)
	c.percent(p+".percent", r.Percent)
}

// SetPercent changes a running rollout's percentage.
type SetPercent struct {
	Channel string  `yaml:"channel"`
	Percent float64 `yaml:"percent"`
}

// BasisPoints returns the percentage in basis points (0–10000).
func (s *SetPercent) BasisPoints() int { return basisPoints(s.Percent) }

func (s *SetPercent) check(c *checker, p string) {
	c.channelRef(p+".channel", s.Channel)
	c.percent(p+".percent", s.Percent)
}

func basisPoints(percent float64) int { return int(math.Round(percent * 100)) }

func (c *checker) percent(path string, v float64) {
	if !(v >= 0 && v <= 100) {
		c.add(path, "%s is out of range (expected a percentage from 0 to 100)", strconv.FormatFloat(v, 'g', -1, 64))
		return
	}
	if math.Abs(v*100-math.Round(v*100)) > 1e-6 {
		c.add(path, "%s has more than two decimals (expected a percentage to 0.01)", strconv.FormatFloat(v, 'g', -1, 64))
	}
}
