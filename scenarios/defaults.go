package scenarios

import "time"

// The defaults below are documented in docs/scenarios.md; keep the two in
// step.

// DefaultNetworkProfiles returns the built-in network profiles. A scenario
// may change some of their fields or add its own profiles.
func DefaultNetworkProfiles() map[string]NetworkProfile {
	return map[string]NetworkProfile{
		"wifi": {Bandwidth: 50_000_000 / 8, RTT: ms(20), Jitter: ms(5), Failure: 0.002},
		"4g":   {Bandwidth: 12_000_000 / 8, RTT: ms(60), Jitter: ms(20), Failure: 0.01},
		"3g":   {Bandwidth: 1_500_000 / 8, RTT: ms(200), Jitter: ms(60), Failure: 0.03},
		"flaky": {Bandwidth: 2_000_000 / 8, RTT: ms(300), Jitter: ms(150), Failure: 0.15,
			OfflineEvery: Duration(6 * time.Hour), OfflineFor: Duration(20 * time.Minute)},
	}
}

// DefaultSegments returns the seed's five user segments, used when a
// scenario lists none. devices is Fleet.Devices and runFor the run's
// duration: besides its 10% of the starting fleet (recent installs), the
// "new" segment gains another 10% of devices joining over the whole run.
func DefaultSegments(devices int, runFor Duration) []Segment {
	joining := devices / 10
	if devices > 0 && joining < 1 {
		joining = 1
	}
	return []Segment{
		{Name: "beta", Share: 0.05, SelfAssign: "beta", SessionsPerDay: 8, UpdateMode: ModeAlways},
		{Name: "power", Share: 0.15, SessionsPerDay: 10,
			SessionLength: LogNormal{Median: Duration(12 * time.Minute), P90: Duration(45 * time.Minute)}},
		{Name: "new", Share: 0.10, SessionsPerDay: 3, Join: &Join{Devices: joining, From: 0, To: runFor}},
		{Name: "enterprise", Share: 0.10, SessionsPerDay: 4, Diurnal: Diurnal{Shape: "office"},
			MaintenanceWindow: &Window{Start: "02:00", End: "04:00"}},
		{Name: "occasional", Share: 0.60, SessionsPerDay: 1.2},
	}
}

// Documented targets (the published figures), and the default error
// rates beside them.
const (
	DefaultAdoptionWithin = Duration(24 * time.Hour)
	DefaultAdoptionShare  = 0.95
	DefaultCDNms          = 114.0
	DefaultSuccessRate    = 0.82
	DefaultAPIMeanMs      = 434.0
	DefaultAPIErrorRate   = 0.01
	DefaultCDNErrorRate   = 0.01
)

// DefaultResponseTimeout is capacitor-updater's responseTimeout (20 s:
// android/src/main/java/ee/forgr/capacitor_updater/CapacitorUpdaterPlugin.java:884,
// ios/Sources/CapacitorUpdaterPlugin/CapacitorUpdaterPlugin.swift:285, v8.51.14).
const DefaultResponseTimeout = Duration(20 * time.Second)

func ms(n int) Duration { return Duration(time.Duration(n) * time.Millisecond) }

// applyDefaults completes a decoded scenario. present reports whether a
// YAML path was written in the file, so that an explicit 0 or false is
// kept rather than replaced by the default.
func applyDefaults(s *Scenario, defaultName string, present func(path string) bool) {
	if s.Name == "" {
		s.Name = defaultName
	}
	r := &s.Run
	if !present("run.speed") {
		r.Speed = 1440
	}
	if r.Seed == 0 && !present("run.seed") {
		r.Seed = 1
	}
	if !present("run.sample_every") {
		r.SampleEvery = Duration(10 * time.Minute)
	}
	if !present("run.connections") {
		r.Connections = 64
	}
	if !present("run.workers") {
		r.Workers = 256
	}
	if !present("run.response_timeout") {
		r.ResponseTimeout = DefaultResponseTimeout
	}

	if s.App.ID == "" {
		s.App.ID = "com.example.app"
	}
	if s.App.Builtin == "" {
		s.App.Builtin = "1.0.0"
	}
	if !present("app.channels") {
		s.App.Channels = []Channel{
			{Name: "production", Public: true},
			{Name: "beta", AllowSelfSet: true},
		}
	}
	for i := range s.App.Channels {
		c := &s.App.Channels[i]
		if c.DisableAutoUpdate == "" {
			c.DisableAutoUpdate = "none"
		}
		if c.Platforms == nil {
			c.Platforms = []string{"ios", "android"}
		}
	}

	defaultNetworks(s, present)

	if len(s.Fleet.Segments) == 0 && !present("fleet.segments") {
		s.Fleet.Segments = DefaultSegments(s.Fleet.Devices, s.Run.Duration)
	}
	for i := range s.Fleet.Segments {
		segmentDefaults(&s.Fleet.Segments[i], indexPath("fleet.segments", i), s.Run.Duration, present)
	}

	for i := range s.Timeline {
		if g := s.Timeline[i].Guard; g != nil {
			p := indexPath("timeline", i) + ".guard"
			if !present(p + ".window") {
				g.Window = Duration(time.Hour)
			}
			if !present(p + ".min_attempts") {
				g.MinAttempts = 50
			}
			if !present(p + ".cooldown") {
				g.Cooldown = Duration(30 * time.Minute)
			}
			if g.Action == "" {
				g.Action = GuardPause
			}
		}
		if f := s.Timeline[i].CDNFaults; f != nil && f.ErrorMode == "" {
			f.ErrorMode = "5xx"
		}
	}

	t := &s.Targets
	if t.AdoptionWithin == nil {
		t.AdoptionWithin = ptr(DefaultAdoptionWithin)
	}
	if t.AdoptionShare == nil {
		t.AdoptionShare = ptr(DefaultAdoptionShare)
	}
	if t.CDNms == nil {
		t.CDNms = ptr(DefaultCDNms)
	}
	if t.SuccessRate == nil {
		t.SuccessRate = ptr(DefaultSuccessRate)
	}
	if t.APIMeanMs == nil {
		t.APIMeanMs = ptr(DefaultAPIMeanMs)
	}
	if t.APIErrorRate == nil {
		t.APIErrorRate = ptr(DefaultAPIErrorRate)
	}
	if t.CDNErrorRate == nil {
		t.CDNErrorRate = ptr(DefaultCDNErrorRate)
	}
}

// defaultNetworks merges the built-in profiles with the scenario's: a
// field the scenario leaves out of a built-in profile keeps its default.
func defaultNetworks(s *Scenario, present func(string) bool) {
	defs := DefaultNetworkProfiles()
	if s.Network == nil {
		s.Network = map[string]NetworkProfile{}
	}
	for name, def := range defs {
		own, ok := s.Network[name]
		if !ok {
			s.Network[name] = def
			continue
		}
		p := childPath("network_profiles", name)
		if !present(p + ".bandwidth") {
			own.Bandwidth = def.Bandwidth
		}
		if !present(p + ".rtt") {
			own.RTT = def.RTT
		}
		if !present(p + ".jitter") {
			own.Jitter = def.Jitter
		}
		if !present(p + ".failure") {
			own.Failure = def.Failure
		}
		if !present(p + ".offline_every") {
			own.OfflineEvery = def.OfflineEvery
		}
		if !present(p + ".offline_for") {
			own.OfflineFor = def.OfflineFor
		}
		s.Network[name] = own
	}
}

func segmentDefaults(g *Segment, p string, runFor Duration, present func(string) bool) {
	if !present(p+".sessions_per_day") && g.SessionsPerDay == 0 {
		g.SessionsPerDay = 2
	}
	if g.Diurnal.IsZero() {
		g.Diurnal = Diurnal{Shape: "default"}
	}
	if !present(p + ".timezone_spread_hours") {
		g.TimezoneSpread = 6
	}
	if g.SessionLength.Median == 0 && !present(p+".session_length.median") {
		g.SessionLength.Median = Duration(4 * time.Minute)
	}
	if g.SessionLength.P90 == 0 && !present(p+".session_length.p90") {
		g.SessionLength.P90 = Duration(20 * time.Minute)
	}
	if g.Platforms == nil {
		g.Platforms = map[string]float64{"ios": 0.45, "android": 0.55}
	}
	if g.NativeVersions == nil {
		g.NativeVersions = map[string]float64{"1.0.0": 1}
	}
	if g.Networks == nil {
		g.Networks = map[string]float64{"wifi": 0.55, "4g": 0.3, "3g": 0.1, "flaky": 0.05}
	}
	if g.UpdateMode == "" {
		g.UpdateMode = ModeAtBackground
	}
	if g.PluginVersion == "" {
		g.PluginVersion = DefaultPluginVersion
	}
	if !present(p + ".process_kept_for") {
		g.ProcessKeptFor = Duration(DefaultProcessKeptFor)
	}
	if g.AutoDeleteFailed == nil {
		g.AutoDeleteFailed = ptr(true)
	}
	if g.Join != nil && !present(p+".join.to") {
		g.Join.To = runFor
	}
}

func ptr[T any](v T) *T { return &v }

// DefaultProcessKeptFor is how long the OS keeps an app's process in the
// background by default.
const DefaultProcessKeptFor = 30 * time.Minute
