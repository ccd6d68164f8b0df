package results

// Deliveries is how bundles reached the devices, zip against per-file
// (manifest), part of CDN.
type Deliveries struct {
	// BytesDownloaded is every byte devices received for bundles (zips
	// and manifest files); BytesFullZip what the full zips of the same
	// bundles would have cost the same downloads.
	BytesDownloaded int64 `json:"bytes_downloaded"`
	BytesFullZip    int64 `json:"bytes_full_zip"`
	// ManifestFiles are the files of per-file downloads.
	ManifestFiles ManifestFiles `json:"manifest_files"`
	// ByDelivery is per delivery kind ("zip", "manifest").
	ByDelivery map[string]Delivery `json:"by_delivery"`
}

// ManifestFiles counts the files of per-file downloads: fetched from the
// CDN (Count, with Failures among them), and Reused from the device (its
// builtin bundle or its cache of earlier bundles' files); LatencyMs is per
// fetched file, real, from the request to its last byte.
type ManifestFiles struct {
	Count     int64     `json:"count"`
	Failures  int64     `json:"failures"`
	Reused    int64     `json:"reused"`
	LatencyMs Quantiles `json:"latency_ms"`
}

// Delivery is one delivery kind: downloads (bundle downloads, each of
// however many files), their bytes and what full zips would have cost,
// and the install time (virtual seconds from a device's first offer of a
// bundle to running it) of bundles delivered this way.
type Delivery struct {
	Downloads    int64                      `json:"downloads"`
	Failures     int64                      `json:"failures"`
	Bytes        int64                      `json:"bytes"`
	BytesFullZip int64                      `json:"bytes_full_zip"`
	InstallTimeS Quantiles                  `json:"install_time_s"`
	ByProfile    map[string]DeliveryProfile `json:"by_profile"`
}

// DeliveryProfile is Delivery for the devices of one network profile.
type DeliveryProfile struct {
	Downloads    int64     `json:"downloads"`
	Bytes        int64     `json:"bytes"`
	BytesFullZip int64     `json:"bytes_full_zip"`
	InstallTimeS Quantiles `json:"install_time_s"`
}

// MeanDifference is arm minus control for a mean, with the 95% Welch
// interval.
type MeanDifference struct {
	Control  float64    `json:"control"`
	Arm      float64    `json:"arm"`
	Diff     float64    `json:"diff"`
	Interval [2]float64 `json:"interval"`
	ControlN int64      `json:"control_n"`
	ArmN     int64      `json:"arm_n"`
}
