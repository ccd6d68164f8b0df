package scenarios

// NetworkProfile models a device's network: applied in virtual time when
// the run is faster than real time, and on the real connections at speed 1.
type NetworkProfile struct {
	Bandwidth Bandwidth `yaml:"bandwidth"`
	RTT       Duration  `yaml:"rtt"`
	Jitter    Duration  `yaml:"jitter"`
	// Failure is the probability that a request or download fails on the
	// device's side (connection lost).
	Failure float64 `yaml:"failure"`
	// Offline spells: on average every OfflineEvery, for OfflineFor.
	OfflineEvery Duration `yaml:"offline_every"`
	OfflineFor   Duration `yaml:"offline_for"`
}
