package protocol

// UpdateAvailable is the reply of POST /updates when the device should
// download a bundle. A Version of Builtin tells it to reset instead.
type UpdateAvailable struct {
	Version    string         `json:"version"`
	URL        string         `json:"url"`
	Checksum   string         `json:"checksum"`
	SessionKey string         `json:"session_key"`
	Manifest   []ManifestFile `json:"manifest,omitempty"`
}

// ManifestFile is one file of a per-file (delta) bundle.
type ManifestFile struct {
	FileName    string `json:"file_name"`
	FileHash    string `json:"file_hash"`
	DownloadURL string `json:"download_url"`
}

// Error is the reply of every endpoint when it has no bundle to offer, the
// request is refused, or it failed. Kind is mandatory: the plugin treats a
// reply without a known kind as a failure.
type Error struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Kind    Kind   `json:"kind"`
	Version string `json:"version,omitempty"`
	Old     string `json:"old,omitempty"`
}

// UpdateReply is what a device decodes from POST /updates: either a bundle
// (Version and URL set) or an error (Error set). Decoding into one struct
// lets a client read either shape with one pass over the bytes.
type UpdateReply struct {
	Version    string         `json:"version,omitempty"`
	URL        string         `json:"url,omitempty"`
	Checksum   string         `json:"checksum,omitempty"`
	SessionKey string         `json:"session_key,omitempty"`
	Manifest   []ManifestFile `json:"manifest,omitempty"`
	Error      string         `json:"error,omitempty"`
	Message    string         `json:"message,omitempty"`
	Kind       Kind           `json:"kind,omitempty"`
	Old        string         `json:"old,omitempty"`
}

// IsUpdate reports whether the reply offers a bundle.
func (r *UpdateReply) IsUpdate() bool { return r.Error == "" && r.Version != "" }
