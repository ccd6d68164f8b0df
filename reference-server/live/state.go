// Package live is the reference server's state in force, shared by the
// device endpoints and the admin API: the release state (an immutable
// snapshot the endpoints read without locking), the per-device channel
// overrides, what the server counts (per-bundle counters, the last state
// of every device, the guard windows of rollouts in progress) and the
// SQLite store behind all of it.
//
// The device endpoints read it and record devices and stats events; the
// admin API changes it through Update, which persists a change before it
// publishes it. Nothing else holds state between the two.
package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// ActiveWindow is how recent a device's last check must be for the device
// to count as active.
const ActiveWindow = 24 * time.Hour

// Observer hears of what changes the state, for metrics; its methods must
// not block.
type Observer interface {
	// Published: a snapshot is now the state in force.
	Published(*release.Snapshot)
	// GuardTripped: a channel's guard acted.
	GuardTripped(appID, channel, action string)
}

// Config configures a State. DBPath is required.
type Config struct {
	DBPath string
	// PublicURL is the base of the download URLs of the bundles the server
	// holds; it may be set later with SetPublicURL.
	PublicURL string
	// Now is the clock of every domain time. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Notify tells connected devices that a channel now serves version
	// (the push hub). Optional.
	Notify func(appID, channel, version string)
	// Observer is optional.
	Observer Observer
	// MaxDevices bounds the devices kept in memory, and apart the device
	// overrides (DefaultMaxDevices when 0): a new device finding no room
	// is answered but not kept; an override finding none is refused.
	MaxDevices int
	// Writer bounds the stats writer's queue and its retry window (its
	// Path is DBPath).
	Writer store.Config
}

// State is the state in force. Create it with Open.
type State struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	st  *store.Store

	snap      atomic.Pointer[release.Snapshot]
	publicURL atomic.Pointer[string]
	mu        sync.Mutex // serialises the writers of the release state
	overrides overrides
	tally     *tally
}

// Open opens the database and restores the release state, the overrides,
// the counts, the devices active within ActiveWindow and the guard windows.
func Open(ctx context.Context, cfg Config) (*State, error) {
	if cfg.DBPath == "" {
		return nil, errors.New("live: DBPath is required")
	}
	s := &State{cfg: cfg, log: cfg.Logger, now: cfg.Now, tally: newTally(cfg.MaxDevices)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	u := cfg.PublicURL
	s.publicURL.Store(&u)
	wc := cfg.Writer
	wc.Path = cfg.DBPath
	st, err := store.OpenConfig(ctx, wc)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	s.st = st
	if err := s.restore(ctx); err != nil {
		st.Close()
		return nil, err
	}
	s.mu.Lock()
	s.publishLocked(s.snap.Load())
	s.mu.Unlock()
	return s, nil
}

func (s *State) restore(ctx context.Context) error {
	snap, ovs, err := s.st.Load(ctx)
	if err != nil {
		return fmt.Errorf("live: restore: %w", err)
	}
	s.snap.Store(snap)
	s.overrides.init(s.cfg.MaxDevices)
	for _, o := range ovs {
		s.overrides.set(o.AppID, o.DeviceID, o.Channel)
	}
	counts, err := s.st.Counts(ctx)
	if err != nil {
		return fmt.Errorf("live: restore: %w", err)
	}
	s.tally.addCounts(counts)
	err = s.st.Devices(ctx, s.now().Add(-ActiveWindow), func(d store.Device) {
		if d.VersionName == protocol.Builtin && d.VersionBuild != "" {
			// Stored before version names were read as the backend reads
			// them: a builtin device runs its native version.
			d.VersionName = d.VersionBuild
		}
		s.tally.devices.touch(d.AppID, d.DeviceID, DeviceState{Version: d.VersionName, Build: d.VersionBuild,
			Platform: d.Platform, Seen: d.LastSeen, persisted: d.LastSeen})
	})
	if err != nil {
		return fmt.Errorf("live: restore: %w", err)
	}
	return s.restoreGuardWindows(ctx, snap)
}

// Close flushes pending stats and device writes and closes the database.
func (s *State) Close() error { return s.st.Close() }

// Snapshot returns the release state in force. It must not be changed.
func (s *State) Snapshot() *release.Snapshot { return s.snap.Load() }

// Now is the domain clock.
func (s *State) Now() time.Time { return s.now() }

// nowMS is the clock at the millisecond precision the database keeps, so
// that what the admin API shows does not change across a restart.
func (s *State) nowMS() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// PublicURL returns the base of bundle URLs.
func (s *State) PublicURL() string { return *s.publicURL.Load() }

// SetPublicURL changes the base of bundle URLs and republishes.
func (s *State) SetPublicURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publicURL.Store(&u)
	s.publishLocked(s.snap.Load())
}

// History returns a channel's history, oldest first.
func (s *State) History(ctx context.Context, channelID int64) ([]release.HistoryEntry, error) {
	return s.st.History(ctx, channelID)
}

// publishLocked fills bundle URLs and replies, makes snap the state in
// force and tells the observer. The caller holds s.mu (or is Open).
func (s *State) publishLocked(snap *release.Snapshot) {
	base := s.PublicURL()
	for _, a := range snap.Apps {
		for _, b := range a.Bundles {
			b.URL, b.Replies = b.ExternalURL, [4][]byte{}
			switch {
			case b.URL == "" && b.Path != "":
				b.URL = BundleURL(base, a.ID, b.Name)
			case b.URL == "" && len(b.Manifest) > 0:
				b.URL = release.NoZipURL
			}
			if b.URL != "" {
				for k := range b.Replies {
					b.Replies[k] = offerJSON(b, base, k&1 != 0, k&2 != 0)
				}
			}
		}
	}
	s.snap.Store(snap)
	if s.cfg.Observer != nil {
		s.cfg.Observer.Published(snap)
	}
}

// manifestEntry is one file of an offer's manifest (utils/downloadUrl.ts
// :52, :97-105).
type manifestEntry struct {
	FileName    string `json:"file_name"`
	FileHash    string `json:"file_hash"`
	DownloadURL string `json:"download_url"`
}

// offerJSON encodes the /updates reply offering a bundle in the backend's
// field order (utils/update.ts:237-253): session_key always ("" for a
// plain bundle), "checksum":null without a checksum, then the manifest,
// link and comment when asked for.
func offerJSON(b *release.Bundle, base string, meta, manifest bool) []byte {
	var checksum *string
	switch {
	case b.SessionKey != "":
		// An encrypted bundle's checksum is the one uploaded with it.
		if b.Checksum != "" {
			checksum = &b.Checksum
		}
	case b.SHA256 != "":
		checksum = &b.SHA256
	}
	rep := struct {
		Version    string          `json:"version"`
		URL        string          `json:"url"`
		SessionKey string          `json:"session_key"`
		Checksum   *string         `json:"checksum"`
		Manifest   []manifestEntry `json:"manifest,omitempty"`
		Link       string          `json:"link,omitempty"`
		Comment    string          `json:"comment,omitempty"`
	}{Version: b.Name, URL: b.URL, SessionKey: b.SessionKey, Checksum: checksum}
	if manifest {
		rep.Manifest = make([]manifestEntry, len(b.Manifest))
		for i, f := range b.Manifest {
			rep.Manifest[i] = manifestEntry{FileName: f.FileName, FileHash: f.FileHash, DownloadURL: FileURL(base, b.AppID, f.Object)}
		}
	}
	if meta {
		rep.Link, rep.Comment = b.Link, b.Comment
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // JSON.stringify does not escape <, > and &
	// Encode cannot fail on a struct of strings.
	_ = enc.Encode(rep)
	return buf.Bytes()
}

// FileURL is the download URL of a stored manifest file.
func FileURL(base, appID, object string) string {
	return base + "/cdn/" + appID + "/files/" + object
}

// BundleURL is the download URL of a bundle the server holds.
func BundleURL(base, appID, name string) string {
	return base + "/cdn/" + appID + "/" + name + ".zip"
}

// notify tells the push hub what a channel now serves.
func (s *State) notify(appID string, ch *release.Channel) {
	if ch == nil || s.cfg.Notify == nil {
		return
	}
	v := ch.StableBundle()
	if ch.Rollout.InProgress() {
		v = ch.Rollout.Bundle
	}
	s.cfg.Notify(appID, ch.Name, v)
}
