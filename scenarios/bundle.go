package scenarios

// Bundle is a web bundle the timeline may release.
type Bundle struct {
	Version string   `yaml:"version"`
	Size    ByteSize `yaml:"size"`
	// MinNative is the lowest native version_build it runs on.
	MinNative string  `yaml:"min_native"`
	Defects   Defects `yaml:"defects"`
}

// Defects are the ways a bundle misbehaves on devices.
type Defects struct {
	// NotReady is the probability that the app never calls notifyAppReady
	// after starting this bundle (a broken release), so the plugin rolls
	// the device back after appReadyTimeout.
	NotReady float64 `yaml:"not_ready"`
	// NotReadyByPlatform and NotReadyBySegment override NotReady for a
	// platform (ios, android) or a segment name; a segment wins.
	NotReadyByPlatform map[string]float64 `yaml:"not_ready_by_platform,omitempty"`
	NotReadyBySegment  map[string]float64 `yaml:"not_ready_by_segment,omitempty"`
	// CorruptDownload is the probability that the downloaded bytes do not
	// match the checksum (the device reports checksum_fail).
	CorruptDownload float64 `yaml:"corrupt_download"`
	// ErrorRate is the rate of JavaScript errors per session while this
	// bundle runs (engagement metric), 0..1.
	ErrorRate float64 `yaml:"error_rate"`
}

// BundleByVersion finds a bundle of the scenario by version.
func (s *Scenario) BundleByVersion(version string) (*Bundle, bool) {
	for i := range s.Bundles {
		if s.Bundles[i].Version == version {
			return &s.Bundles[i], true
		}
	}
	return nil, false
}

// ChannelByName finds a channel of the app by name (nil when none).
func (s *Scenario) ChannelByName(name string) *Channel {
	for i := range s.App.Channels {
		if s.App.Channels[i].Name == name {
			return &s.App.Channels[i]
		}
	}
	return nil
}

// NotReadyFor returns the probability that a device of this segment and
// platform never calls notifyAppReady on this bundle: the segment's
// override, else the platform's, else NotReady.
func (d Defects) NotReadyFor(segment, platform string) float64 {
	if p, ok := d.NotReadyBySegment[segment]; ok {
		return p
	}
	if p, ok := d.NotReadyByPlatform[platform]; ok {
		return p
	}
	return d.NotReady
}
