package scenarios

// Bundle is a web bundle the timeline may release.
type Bundle struct {
	Version string   `yaml:"version"`
	Size    ByteSize `yaml:"size"`
	// MinNative is the lowest native version_build it runs on.
	MinNative string  `yaml:"min_native"`
	Defects   Defects `yaml:"defects"`
	// Delivery is how devices get it: "zip" (the whole archive) or
	// "manifest" (per file, only the files they do not hold).
	Delivery string `yaml:"delivery"`
	// Files makes it a bundle of that many real files (the simulator
	// builds them from the seed and uploads them); 0 lets the server
	// build a two-file zip of Size.
	Files int `yaml:"files"`
	// ChangedFiles is the share of files that differ from the bundle
	// before it in the list (the builtin for the first); nil is all.
	ChangedFiles *float64 `yaml:"changed_files"`
	// Encrypted: the bundle is encrypted (encryption v2) with the app's
	// key, which the devices then have.
	Encrypted bool `yaml:"encrypted"`
	// SameFilesAs names an earlier bundle whose files this one has, to
	// deliver the same release another way; adoption counts them as one.
	SameFilesAs string `yaml:"same_files_as"`
}

// Deliveries.
const (
	DeliveryZip      = "zip"
	DeliveryManifest = "manifest"
)

// Synthetic reports whether the simulator builds the bundle's files.
func (b *Bundle) Synthetic() bool {
	return b.Files > 0 || b.Delivery == DeliveryManifest || b.Encrypted || b.SameFilesAs != ""
}

// Changed is the share of changed files (1 when not set).
func (b *Bundle) Changed() float64 {
	if b.ChangedFiles == nil {
		return 1
	}
	return *b.ChangedFiles
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
