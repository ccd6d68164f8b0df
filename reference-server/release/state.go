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

	"github.com/otasim/otasim/protocol"
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
	// ExposeMetadata: replies offering a bundle carry its link and comment
	// (to the plugins that read them).
	ExposeMetadata bool
	// Bundles by name, deleted ones included. The builtin and unknown
	// bundles of the backend exist for every app without being listed.
	Bundles map[string]*Bundle
	// Channels in creation order.
	Channels []*Channel
}

// Unknown is the version name the plugin reports when it cannot tell its
// bundle; the backend keeps it, like builtin, for every app.
const Unknown = "unknown"

// Internal reports whether a version name is one of the placeholders every
// app has (the backend's isInternalVersionName, utils/utils.ts:126).
func Internal(name string) bool { return name == protocol.Builtin || name == Unknown }

// Bundle is the metadata of one bundle. Its bytes are a zip on disk (Path),
// or at an external URL, or nowhere, and may also be per-file (Manifest).
type Bundle struct {
	AppID  string
	Name   string
	Size   int64
	SHA256 string
	// Checksum is what devices get as the bundle's checksum when it is not
	// SHA256 (the zip's own): an encrypted bundle's encrypted checksum.
	Checksum string
	// SessionKey is an encrypted bundle's session_key ("iv:key").
	SessionKey string
	// Manifest lists the bundle's files for per-file (delta) downloads,
	// in upload order; never changed once set.
	Manifest  []ManifestFile
	MinNative string
	// Path of the zip on disk; empty when the bundle has no bytes here.
	Path string
	// ExternalURL is where devices download a bundle the server does not
	// hold.
	ExternalURL string
	// Link and Comment are the bundle's metadata, sent to plugins that read
	// them when the app exposes metadata.
	Link, Comment string
	// KeyID names the public key the bundle was encrypted for; devices with
	// another key are refused.
	KeyID string
	// Deleted bundles are kept (a deleted name is not reused) but no longer
	// served.
	Deleted   bool
	CreatedAt time.Time

	// URL devices download it from: ExternalURL, else the server's own
	// download URL for a zip it holds; set when the snapshot is published.
	URL string
	// Replies are the encoded /updates replies offering the bundle, by
	// ReplyKind, set with URL so that the hot path does not encode the
	// same bytes each time.
	Replies [4][]byte
}

// ManifestFile is one file of a per-file bundle: its path on the device
// (with .br when compressed), the hash devices verify (SHA-256 of the
// original bytes, or its encryption) and the stored bytes the CDN serves
// (their SHA-256, and length).
type ManifestFile struct {
	FileName string `json:"file_name"`
	FileHash string `json:"file_hash"`
	Object   string `json:"object"`
	Size     int64  `json:"size"`
}

// ReplyKind picks one of a bundle's encoded offers: with the bundle's
// metadata (link, comment), with its manifest, both or neither.
func ReplyKind(metadata, manifest bool) int {
	k := 0
	if metadata {
		k |= 1
	}
	if manifest {
		k |= 2
	}
	return k
}

// HasBytes reports whether devices can be offered the bundle: a zip here,
// an external URL or a manifest (utils/update.ts:452).
func (b *Bundle) HasBytes() bool { return b.Path != "" || b.ExternalURL != "" || len(b.Manifest) > 0 }

// NoZipURL is what the backend sends as the url of a bundle that has a
// manifest and no zip (utils/update.ts:679-682).
const NoZipURL = "https://404.capgo.app/no.zip"

// Live reports whether an app has a bundle of this name that is not
// deleted; the builtin and unknown bundles always exist.
func (a *App) Live(name string) bool {
	if Internal(name) {
		return true
	}
	b := a.Bundles[name]
	return b != nil && !b.Deleted
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
	case protocol.PlatformIOS:
		return p.IOS
	case protocol.PlatformAndroid:
		return p.Android
	case protocol.PlatformElectron:
		return p.Electron
	}
	return false
}

// StableBundle is the channel's stable bundle, builtin when it has none.
func (c *Channel) StableBundle() string {
	if c.Bundle == "" {
		return protocol.Builtin
	}
	return c.Bundle
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
	ID     int64
	AppID  string
	Name   string
	Policy Policy
	// Bundle is the stable bundle; empty means builtin, as a channel
	// without a version in the backend.
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
		na := &App{ID: a.ID, CreatedAt: a.CreatedAt, ExposeMetadata: a.ExposeMetadata,
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
