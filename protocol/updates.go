package protocol

// UpdateAvailable is the reply of POST /updates when the device should
// download a bundle. Link and Comment are sent only to plugins that read
// them (v5.35.0, v6.35.0, v7.35.0, v8.35.0 and later) when the app exposes
// bundle metadata.
type UpdateAvailable struct {
	Version    string         `json:"version"`
	URL        string         `json:"url"`
	SessionKey string         `json:"session_key"`
	Checksum   string         `json:"checksum"`
	Manifest   []ManifestFile `json:"manifest,omitempty"`
	Link       string         `json:"link,omitempty"`
	Comment    string         `json:"comment,omitempty"`
}

// ManifestFile is one file of a per-file (delta) bundle.
type ManifestFile struct {
	FileName    string `json:"file_name"`
	FileHash    string `json:"file_hash"`
	DownloadURL string `json:"download_url"`
}

// Error is the reply of every endpoint when it has no bundle to offer, the
// request is refused, or it failed. Kind is set on the 200 replies of
// /updates only: the plugin treats an /updates reply without a known kind
// as a failure. Major is set when an auto-update policy (major, minor,
// patch or minimum native version) held a newer bundle back; the plugin
// raises majorAvailable from it.
type Error struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Kind    Kind   `json:"kind,omitempty"`
	Major   bool   `json:"major,omitempty"`
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
	Link       string         `json:"link,omitempty"`
	Comment    string         `json:"comment,omitempty"`
	Error      string         `json:"error,omitempty"`
	Message    string         `json:"message,omitempty"`
	Kind       Kind           `json:"kind,omitempty"`
	Major      bool           `json:"major,omitempty"`
	Old        string         `json:"old,omitempty"`
}

// IsUpdate reports whether the reply offers a bundle.
func (r *UpdateReply) IsUpdate() bool { return r.Error == "" && r.Version != "" }
