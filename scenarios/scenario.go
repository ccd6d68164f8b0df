// Package scenarios defines what an otasim run simulates: the fleet and its
// segments, network profiles, bundles and their defects, the release
// timeline, the run's clock, and the targets it is judged against. It
// decodes scenario YAML strictly (every problem reported with
// file:line:col) and embeds the bundled scenarios so that
// `otasim run quickstart` works from any folder.
package scenarios

// Scenario is one simulation, as written in one YAML file.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`

	Run      Run                       `yaml:"run"`
	Target   Target                    `yaml:"target"`
	App      App                       `yaml:"app"`
	Bundles  []Bundle                  `yaml:"bundles"`
	Network  map[string]NetworkProfile `yaml:"network_profiles"`
	Fleet    Fleet                     `yaml:"fleet"`
	Timeline []Step                    `yaml:"timeline"`
	Targets  Targets                   `yaml:"targets"`
	Load     *LoadProfile              `yaml:"load,omitempty"`

	// Source is where the scenario was read from (a path, or
	// "embedded:NAME.yaml"); set by the loader, not by YAML.
	Source string `yaml:"-"`

	// raw is the canonical source, for Hash.
	raw []byte
}

// Run sets the run's virtual clock.
type Run struct {
	// Duration is the virtual length of the run (e.g. 24h).
	Duration Duration `yaml:"duration"`
	// Speed is virtual seconds per real second; 1 is real time.
	Speed float64 `yaml:"speed"`
	// Seed makes the population and the intended schedule reproducible.
	Seed uint64 `yaml:"seed"`
	// SampleEvery is the virtual interval between time-series samples
	// (adoption, latency percentiles over time). Default 10m.
	SampleEvery Duration `yaml:"sample_every"`
	// Connections is the number of keep-alive connections the devices
	// share; Workers the number of requests in flight at most.
	Connections int `yaml:"connections"`
	Workers     int `yaml:"workers"`
	// ResponseTimeout is the plugin's responseTimeout: how long a device
	// waits for a reply (and a download for its next byte) before the
	// request fails as a timeout, in real time. Default 20s.
	ResponseTimeout Duration `yaml:"response_timeout"`
}

// Target says which server the devices talk to. Empty: the reference
// server, started in-process.
type Target struct {
	UpdatesURL string `yaml:"updates_url"`
	StatsURL   string `yaml:"stats_url"`
	ChannelURL string `yaml:"channel_url"`
	AdminURL   string `yaml:"admin_url"`
}

// App is the application under test and its channels, as the reference
// server is set up before the timeline starts.
type App struct {
	ID string `yaml:"id"`
	// Builtin is the version of the bundle shipped in the native app.
	Builtin  string    `yaml:"builtin"`
	Channels []Channel `yaml:"channels"`
}

// Channel is a release channel set up at the start of the run.
type Channel struct {
	Name string `yaml:"name"`
	// Bundle served at the start (default: the builtin).
	Bundle       string `yaml:"bundle"`
	Public       bool   `yaml:"public"`
	AllowSelfSet bool   `yaml:"allow_self_set"`
	// DisableAutoUpdate: none (default), major, minor, patch.
	DisableAutoUpdate string `yaml:"disable_auto_update"`
	// Platforms the channel serves; default both ios and android.
	Platforms []string `yaml:"platforms"`
}
