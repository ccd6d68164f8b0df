// Package release holds the release state of the reference server in memory
// and the pure logic that answers devices from it: channel resolution, the
// /updates decision order of the Capgo backend, sticky rollout selection and
// the Wilson auto-pause guard.
//
// The state is an immutable Snapshot: writers clone it, change the clone,
// persist the change and publish the clone, so readers on the hot path never
// lock and never wait on disk.
package release

import (
	"slices"
	"time"
)

// DisableAutoUpdate policies of a channel.
const (
	DisableNone          = "none"
	DisableMajor         = "major"
	DisableMinor         = "minor"
	DisablePatch         = "patch"
	DisableVersionNumber = "version_number"
)

// Guard actions.
const (
	GuardPause    = "pause"
	GuardRollback = "rollback"
	GuardNotify   = "notify"
)

// RolloutState is the life cycle of a rollout.
type RolloutState string

// Rollout states. Running and Paused are in progress; the others ended it.
const (
	RolloutRunning    RolloutState = "running"
	RolloutPaused     RolloutState = "paused"
	RolloutPromoted   RolloutState = "promoted"
	RolloutRolledBack RolloutState = "rolled_back"
)

// MaxPercentBP is 100% in basis points.
const MaxPercentBP = 10000

// App is one application with its bundles and channels.
type App struct {
	ID        string
	CreatedAt time.Time
	// Bundles by name.
	Bundles map[string]*Bundle
	// Channels in creation order: the first public one for a platform is
	// the default.
	Channels []*Channel
}

// Bundle is the metadata of one bundle; its bytes live in a file.
type Bundle struct {
	AppID     string
	Name      string
	Size      int64
	SHA256    string
	MinNative string
	// Path of the zip on disk; empty for the builtin bundle.
	Path string
	// URL devices download it from, set when the snapshot is published.
	URL string
	// Reply is the encoded /updates reply offering the bundle, set with
	// URL so that the hot path does not encode the same bytes each time.
	Reply     []byte
	CreatedAt time.Time
}

// Policy is what a channel allows; the JSON names are the admin API's.
type Policy struct {
	Public             bool   `json:"public"`
	AllowSelfSet       bool   `json:"allow_self_set"`
	IOS                bool   `json:"ios"`
	Android            bool   `json:"android"`
	Electron           bool   `json:"electron"`
	AllowProd          bool   `json:"allow_prod"`
	AllowDev           bool   `json:"allow_dev"`
	AllowEmulator      bool   `json:"allow_emulator"`
	AllowDevice        bool   `json:"allow_device"`
	DisableAutoUpdate  string `json:"disable_auto_update"`
	DisableUnderNative bool   `json:"disable_auto_update_under_native"`
}

// DefaultPolicy is the policy of a channel created without options: private,
// every platform and kind of device allowed, no auto-update limit.
func DefaultPolicy() Policy {
	return Policy{IOS: true, Android: true, Electron: true, AllowProd: true,
		AllowDev: true, AllowEmulator: true, AllowDevice: true, DisableAutoUpdate: DisableNone}
}

// AllowsPlatform reports whether the channel serves a platform.
func (p Policy) AllowsPlatform(platform string) bool {
	switch platform {
	case "ios":
		return p.IOS
	case "android":
		return p.Android
	case "electron":
		return p.Electron
	}
	return false
}

// Rollout serves Bundle to a sticky PercentBP share of a channel's devices.
type Rollout struct {
	ID        int64        `json:"id"`
	Bundle    string       `json:"bundle"`
	PercentBP int          `json:"percent_bp"`
	State     RolloutState `json:"state"`
	StartedAt time.Time    `json:"started_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// InProgress reports whether the rollout still affects devices.
func (r *Rollout) InProgress() bool {
	return r != nil && (r.State == RolloutRunning || r.State == RolloutPaused)
}

// GuardConfig configures the auto-pause guard of a channel.
type GuardConfig struct {
	Enabled     bool    `json:"enabled"`
	WindowS     int     `json:"window_s"`
	Threshold   float64 `json:"threshold"`
	MinAttempts int     `json:"min_attempts"`
	CooldownS   int     `json:"cooldown_s"`
	Action      string  `json:"action"`
}

// DefaultGuard is the guard of a new channel: off, with the documented
// defaults ready for when it is enabled.
func DefaultGuard() GuardConfig {
	return GuardConfig{WindowS: 3600, Threshold: 0.2, MinAttempts: 50, CooldownS: 1800, Action: GuardPause}
}

// Channel serves a stable bundle, and optionally a rollout bundle, to the
// devices that resolve to it.
type Channel struct {
	ID             int64
	AppID          string
	Name           string
	Policy         Policy
	Bundle         string
	PreviousBundle string
	// Rollout is the latest rollout; nil or ended when none is in progress.
	Rollout   *Rollout
	Guard     GuardConfig
	LastTrip  time.Time
	CreatedAt time.Time
}

// HistoryEntry records one change of a channel.
type HistoryEntry struct {
	At        time.Time `json:"at"`
	Event     string    `json:"event"`
	Bundle    string    `json:"bundle"`
	PercentBP int       `json:"percent_bp"`
	Reason    string    `json:"reason"`
}

// Snapshot is the whole release state at one moment. It is never changed
// once published: Clone it to change it.
type Snapshot struct {
	Apps map[string]*App
}

// NewSnapshot returns an empty snapshot.
func NewSnapshot() *Snapshot { return &Snapshot{Apps: map[string]*App{}} }

// Clone returns a deep copy that can be changed freely.
func (s *Snapshot) Clone() *Snapshot {
	out := &Snapshot{Apps: make(map[string]*App, len(s.Apps))}
	for id, a := range s.Apps {
		na := &App{ID: a.ID, CreatedAt: a.CreatedAt,
			Bundles: make(map[string]*Bundle, len(a.Bundles)), Channels: make([]*Channel, len(a.Channels))}
		for n, b := range a.Bundles {
			nb := *b
			na.Bundles[n] = &nb
		}
		for i, c := range a.Channels {
			nc := *c
			if c.Rollout != nil {
				r := *c.Rollout
				nc.Rollout = &r
			}
			na.Channels[i] = &nc
		}
		out.Apps[id] = na
	}
	return out
}

// Channel returns a channel of an app by name.
func (a *App) Channel(name string) *Channel {
	i := slices.IndexFunc(a.Channels, func(c *Channel) bool { return c.Name == name })
	if i < 0 {
		return nil
	}
	return a.Channels[i]
}

// ChannelByID returns a channel of an app by id.
func (a *App) ChannelByID(id int64) *Channel {
	i := slices.IndexFunc(a.Channels, func(c *Channel) bool { return c.ID == id })
	if i < 0 {
		return nil
	}
	return a.Channels[i]
}
