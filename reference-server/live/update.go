package live

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// Tx is one change of the release state: a copy of the state to change,
// and what of it to persist. Use it only inside the function given to
// Update.
type Tx struct {
	// Snap is a deep copy of the state in force; change it freely.
	Snap *release.Snapshot
	// Now is the time of the change (millisecond precision).
	Now     time.Time
	changes store.Changes
	remove  []string
	quiet   []*release.Channel
}

// NewApp adds an app to persist (already in Snap).
func (tx *Tx) NewApp(a *release.App) { tx.changes.NewApps = append(tx.changes.NewApps, a) }

// App marks an app's settings as changed.
func (tx *Tx) App(a *release.App) { tx.changes.Apps = append(tx.changes.Apps, a) }

// NewBundle adds a bundle to persist (already in Snap).
func (tx *Tx) NewBundle(b *release.Bundle) { tx.changes.NewBundles = append(tx.changes.NewBundles, b) }

// Bundle marks a bundle as changed.
func (tx *Tx) Bundle(b *release.Bundle) { tx.changes.Bundles = append(tx.changes.Bundles, b) }

// NewChannel adds a channel to persist (already in Snap) with its history.
func (tx *Tx) NewChannel(c *release.Channel, h ...release.HistoryEntry) {
	tx.changes.NewChannels = append(tx.changes.NewChannels, store.ChannelChange{Channel: c, History: h})
}

// Channel marks a channel as changed, with history entries; devices
// connected to it are notified once the change is published. Mark a
// channel once per change.
func (tx *Tx) Channel(c *release.Channel, h ...release.HistoryEntry) {
	tx.changes.Channels = append(tx.changes.Channels, store.ChannelChange{Channel: c, History: h})
}

// Quiet spares the devices of a changed channel a notification: what it
// serves did not change.
func (tx *Tx) Quiet(c *release.Channel) { tx.quiet = append(tx.quiet, c) }

// RemoveFile removes a bundle file once the change is persisted.
func (tx *Tx) RemoveFile(path string) { tx.remove = append(tx.remove, path) }

// Update applies fn to a copy of the state under the writers' lock,
// persists what fn marked in one transaction, then publishes the copy and
// notifies the devices of the channels it changed. Nothing is published
// when fn or the store fails.
func (s *State) Update(ctx context.Context, fn func(tx *Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &Tx{Snap: s.snap.Load().Clone(), Now: s.nowMS()}
	if err := fn(tx); err != nil {
		return err
	}
	if err := s.st.Apply(ctx, tx.changes); err != nil {
		return err
	}
	s.publishLocked(tx.Snap)
	for _, p := range tx.remove {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			s.log.Warn("cannot remove a deleted bundle's file", "path", p, "err", err)
		}
	}
	for _, cc := range append(tx.changes.NewChannels, tx.changes.Channels...) {
		if !slices.Contains(tx.quiet, cc.Channel) {
			s.notify(cc.Channel.AppID, cc.Channel)
		}
		for _, h := range cc.History {
			s.log.Info("channel changed", "app_id", cc.Channel.AppID, "channel", cc.Channel.Name, "event", h.Event,
				"bundle", h.Bundle, "percent_bp", h.PercentBP, "reason", h.Reason)
		}
	}
	return nil
}
