package scenarios

// Step is one timeline entry: at a virtual time, exactly one action.
//
//   - at: 2h
//     rollout: {channel: production, bundle: 1.2.0, percent: 10}
type Step struct {
	At Duration `yaml:"at"`

	Release     *Release     `yaml:"release"`
	Rollout     *Rollout     `yaml:"rollout"`
	SetPercent  *SetPercent  `yaml:"set_percent"`
	Pause       *ChannelRef  `yaml:"pause"`
	Resume      *ChannelRef  `yaml:"resume"`
	Promote     *ChannelRef  `yaml:"promote"`
	Rollback    *ChannelRef  `yaml:"rollback"`
	Guard       *Guard       `yaml:"guard"`
	CDNFaults   *CDNFaults   `yaml:"cdn_faults"`
	APIFaults   *APIFaults   `yaml:"api_faults"`
	ClearFaults *ClearFaults `yaml:"clear_faults"`
}

// Release points a channel at a bundle for every device.
type Release struct {
	Channel string `yaml:"channel"`
	Bundle  string `yaml:"bundle"`
}

// Rollout starts a progressive rollout of a bundle on a channel.
type Rollout struct {
	Channel string  `yaml:"channel"`
	Bundle  string  `yaml:"bundle"`
	Percent float64 `yaml:"percent"` // 0..100, to 0.01
}

// SetPercent changes a running rollout's percentage.
type SetPercent struct {
	Channel string  `yaml:"channel"`
	Percent float64 `yaml:"percent"`
}

// ChannelRef names the channel of a pause, resume, promote or rollback.
type ChannelRef struct {
	Channel string `yaml:"channel"`
}

// Guard configures a channel's auto-pause guard.
type Guard struct {
	Channel     string   `yaml:"channel"`
	Threshold   float64  `yaml:"threshold"` // failure rate 0..1
	MinAttempts int      `yaml:"min_attempts"`
	Window      Duration `yaml:"window"`
	Cooldown    Duration `yaml:"cooldown"`
	Action      string   `yaml:"action"` // pause, rollback, notify
	Disabled    bool     `yaml:"disabled"`
}

// CDNFaults sets the CDN fault knobs.
type CDNFaults struct {
	Latency      Duration  `yaml:"latency"`
	Jitter       Duration  `yaml:"jitter"`
	Bandwidth    Bandwidth `yaml:"bandwidth"` // per connection
	ErrorRate    float64   `yaml:"error_rate"`
	ErrorMode    string    `yaml:"error_mode"` // 5xx or reset
	TruncateRate float64   `yaml:"truncate_rate"`
	CorruptRate  float64   `yaml:"corrupt_rate"`
}

// APIFaults sets the API fault knobs.
type APIFaults struct {
	Latency       Duration `yaml:"latency"`
	Jitter        Duration `yaml:"jitter"`
	ErrorRate     float64  `yaml:"error_rate"`
	RateLimitRate float64  `yaml:"rate_limit_rate"`
	RetryAfter    Duration `yaml:"retry_after"`
}

// ClearFaults clears the CDN faults, the API faults, or both (both false:
// both).
type ClearFaults struct {
	CDN bool `yaml:"cdn"`
	API bool `yaml:"api"`
}
