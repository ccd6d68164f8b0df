package scenarios

import (
	"slices"
	"time"
)

// Guard actions: what the auto-pause guard does when it trips.
const (
	GuardPause    = "pause"
	GuardRollback = "rollback"
	GuardNotify   = "notify"
)

// Guard configures a channel's auto-pause guard: when the Wilson lower
// bound of the rollout bundle's failure rate over Window reaches
// Threshold (with MinAttempts met and Cooldown since the last trip), it
// acts. Defaults: window 1h, min_attempts 50, cooldown 30m, action pause.
type Guard struct {
	Channel     string   `yaml:"channel"`
	Threshold   float64  `yaml:"threshold"` // failure rate 0..1
	MinAttempts int      `yaml:"min_attempts"`
	Window      Duration `yaml:"window"`
	Cooldown    Duration `yaml:"cooldown"`
	Action      string   `yaml:"action"` // pause, rollback, notify
	Disabled    bool     `yaml:"disabled"`
}

func (g *Guard) check(c *checker, p string) {
	c.channelRef(p+".channel", g.Channel)
	if !g.Disabled && !(g.Threshold > 0 && g.Threshold <= 1) {
		c.add(p+".threshold", "%v is out of range (expected a failure rate above 0 and at most 1)", g.Threshold)
	}
	c.intRange(p+".min_attempts", g.MinAttempts, 1, 1_000_000)
	if g.Window <= 0 {
		c.add(p+".window", "%s is out of range (expected a duration above 0)", g.Window)
	}
	if g.Cooldown < 0 || g.Cooldown > Duration(30*24*time.Hour) {
		c.add(p+".cooldown", "%s is out of range (expected a duration from 0 to 30d)", g.Cooldown)
	}
	if !slices.Contains([]string{GuardPause, GuardRollback, GuardNotify}, g.Action) {
		c.add(p+".action", "%s is not a guard action (expected pause, rollback or notify)", quoteShort(g.Action))
	}
}
