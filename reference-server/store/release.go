package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/otasim/otasim/reference-server/release"
)

// ErrExists is returned when creating something that already exists.
var ErrExists = errors.New("already exists")

// Override is one per-device channel override.
type Override struct {
	AppID    string
	DeviceID string
	Channel  string
}

// Load reads the whole release state, and the device overrides.
func (s *Store) Load(ctx context.Context) (*release.Snapshot, []Override, error) {
	snap := release.NewSnapshot()
	err := query(ctx, s.db, `SELECT app_id, created_at, expose_metadata FROM apps`, func(r *sql.Rows) error {
		a := &release.App{Bundles: map[string]*release.Bundle{}}
		var at int64
		if err := r.Scan(&a.ID, &at, &a.ExposeMetadata); err != nil {
			return err
		}
		a.CreatedAt = fromMS(at)
		snap.Apps[a.ID] = a
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: load apps: %w", err)
	}
	err = query(ctx, s.db, `SELECT app_id, name, size, sha256, min_native, path, created_at,
		external_url, link, comment, key_id, deleted, session_key, checksum FROM bundles`, func(r *sql.Rows) error {
		var b release.Bundle
		var at int64
		if err := r.Scan(&b.AppID, &b.Name, &b.Size, &b.SHA256, &b.MinNative, &b.Path, &at,
			&b.ExternalURL, &b.Link, &b.Comment, &b.KeyID, &b.Deleted, &b.SessionKey, &b.Checksum); err != nil {
			return err
		}
		b.CreatedAt = fromMS(at)
		if a := snap.Apps[b.AppID]; a != nil {
			a.Bundles[b.Name] = &b
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: load bundles: %w", err)
	}
	err = query(ctx, s.db, `SELECT app_id, bundle, file_name, file_hash, object, size FROM manifest_files
		ORDER BY app_id, bundle, position`, func(r *sql.Rows) error {
		var app, bundle string
		var f release.ManifestFile
		if err := r.Scan(&app, &bundle, &f.FileName, &f.FileHash, &f.Object, &f.Size); err != nil {
			return err
		}
		if a := snap.Apps[app]; a != nil && a.Bundles[bundle] != nil {
			a.Bundles[bundle].Manifest = append(a.Bundles[bundle].Manifest, f)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: load manifests: %w", err)
	}
	byID := map[int64]*release.Channel{}
	err = query(ctx, s.db, `SELECT id, app_id, name, policy, bundle, previous_bundle, guard, last_trip_at, created_at
		FROM channels ORDER BY id`, func(r *sql.Rows) error {
		var c release.Channel
		var policy, guard string
		var trip, at int64
		if err := r.Scan(&c.ID, &c.AppID, &c.Name, &policy, &c.Bundle, &c.PreviousBundle, &guard, &trip, &at); err != nil {
			return err
		}
		c.Policy, c.Guard = release.DefaultPolicy(), release.DefaultGuard()
		if err := json.Unmarshal([]byte(policy), &c.Policy); err != nil {
			return fmt.Errorf("channel %d policy: %w", c.ID, err)
		}
		if err := json.Unmarshal([]byte(guard), &c.Guard); err != nil {
			return fmt.Errorf("channel %d guard: %w", c.ID, err)
		}
		c.LastTrip, c.CreatedAt = fromMS(trip), fromMS(at)
		if a := snap.Apps[c.AppID]; a != nil {
			a.Channels = append(a.Channels, &c)
			byID[c.ID] = &c
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: load channels: %w", err)
	}
	err = query(ctx, s.db, `SELECT id, channel_id, bundle, percent_bp, state, started_at, updated_at FROM rollouts
		WHERE id IN (SELECT MAX(id) FROM rollouts GROUP BY channel_id)`, func(r *sql.Rows) error {
		var ro release.Rollout
		var ch, start, upd int64
		if err := r.Scan(&ro.ID, &ch, &ro.Bundle, &ro.PercentBP, &ro.State, &start, &upd); err != nil {
			return err
		}
		ro.StartedAt, ro.UpdatedAt = fromMS(start), fromMS(upd)
		if c := byID[ch]; c != nil {
			c.Rollout = &ro
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: load rollouts: %w", err)
	}
	var overrides []Override
	err = query(ctx, s.db, `SELECT o.app_id, o.device_id, c.name FROM overrides o JOIN channels c ON c.id = o.channel_id`,
		func(r *sql.Rows) error {
			var o Override
			if err := r.Scan(&o.AppID, &o.DeviceID, &o.Channel); err != nil {
				return err
			}
			overrides = append(overrides, o)
			return nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("store: load overrides: %w", err)
	}
	return snap, overrides, nil
}

func query(ctx context.Context, db *sql.DB, q string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func exists(ctx context.Context, tx *sql.Tx, q string, args ...any) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, q, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Changes are release-state writes applied in one transaction: new apps,
// apps whose settings changed, new or changed bundles, new or changed
// channels with their history entries.
type Changes struct {
	NewApps     []*release.App
	Apps        []*release.App
	NewBundles  []*release.Bundle
	Bundles     []*release.Bundle
	NewChannels []ChannelChange
	Channels    []ChannelChange
}

// ChannelChange is a channel to write and the history entries to add.
type ChannelChange struct {
	Channel *release.Channel
	History []release.HistoryEntry
}

// Apply writes changes in one transaction: all of them or none. A new
// app, bundle or channel whose name is taken gives ErrExists. New channels
// and rollouts get their IDs.
func (s *Store) Apply(ctx context.Context, c Changes) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		for _, a := range c.NewApps {
			if err := createApp(ctx, tx, a); err != nil {
				return err
			}
		}
		for _, a := range c.Apps {
			if err := updateApp(ctx, tx, a); err != nil {
				return err
			}
		}
		for _, b := range c.NewBundles {
			if err := createBundle(ctx, tx, b); err != nil {
				return err
			}
		}
		for _, b := range c.Bundles {
			if err := updateBundle(ctx, tx, b); err != nil {
				return err
			}
		}
		for _, ch := range c.NewChannels {
			if err := createChannel(ctx, tx, ch.Channel, ch.History); err != nil {
				return err
			}
		}
		for _, ch := range c.Channels {
			if err := updateChannel(ctx, tx, ch.Channel, ch.History); err != nil {
				return err
			}
		}
		return nil
	})
}

// CreateApp stores a new app; ErrExists if it is known.
func (s *Store) CreateApp(ctx context.Context, a *release.App) error {
	return s.Apply(ctx, Changes{NewApps: []*release.App{a}})
}

// CreateBundle stores a new bundle's metadata; ErrExists if the name is
// taken (bundles are immutable, deleted ones keep their name).
func (s *Store) CreateBundle(ctx context.Context, b *release.Bundle) error {
	return s.Apply(ctx, Changes{NewBundles: []*release.Bundle{b}})
}

// CreateChannel stores a new channel and sets its ID; ErrExists if the
// name is taken in the app.
func (s *Store) CreateChannel(ctx context.Context, c *release.Channel, h ...release.HistoryEntry) error {
	return s.Apply(ctx, Changes{NewChannels: []ChannelChange{{c, h}}})
}

// UpdateChannel writes a channel's settings, bundles, guard and rollout
// (inserting the rollout, and setting its ID, when it has none yet), with
// history entries, in one transaction.
func (s *Store) UpdateChannel(ctx context.Context, c *release.Channel, h ...release.HistoryEntry) error {
	return s.Apply(ctx, Changes{Channels: []ChannelChange{{c, h}}})
}

func createApp(ctx context.Context, tx *sql.Tx, a *release.App) error {
	if ok, err := exists(ctx, tx, `SELECT 1 FROM apps WHERE app_id = ?`, a.ID); err != nil || ok {
		return errOr(err, fmt.Errorf("app %s: %w", a.ID, ErrExists))
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO apps(app_id, created_at, expose_metadata) VALUES (?, ?, ?)`,
		a.ID, ms(a.CreatedAt), a.ExposeMetadata)
	return err
}

func updateApp(ctx context.Context, tx *sql.Tx, a *release.App) error {
	res, err := tx.ExecContext(ctx, `UPDATE apps SET expose_metadata = ? WHERE app_id = ?`, a.ExposeMetadata, a.ID)
	return oneRow(res, err, "app "+a.ID)
}

func createBundle(ctx context.Context, tx *sql.Tx, b *release.Bundle) error {
	if ok, err := exists(ctx, tx, `SELECT 1 FROM bundles WHERE app_id = ? AND name = ?`, b.AppID, b.Name); err != nil || ok {
		return errOr(err, fmt.Errorf("bundle %s: %w", b.Name, ErrExists))
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO bundles(app_id, name, size, sha256, min_native, path, created_at,
		external_url, link, comment, key_id, deleted, session_key, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.AppID, b.Name, b.Size, b.SHA256, b.MinNative, b.Path, ms(b.CreatedAt),
		b.ExternalURL, b.Link, b.Comment, b.KeyID, b.Deleted, b.SessionKey, b.Checksum)
	if err != nil {
		return err
	}
	for i, f := range b.Manifest {
		if _, err := tx.ExecContext(ctx, `INSERT INTO manifest_files(app_id, bundle, position, file_name, file_hash, object, size)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, b.AppID, b.Name, i, f.FileName, f.FileHash, f.Object, f.Size); err != nil {
			return err
		}
	}
	return nil
}

// updateBundle writes what may change of a bundle: its metadata, its file
// (removed on deletion) and its deletion.
func updateBundle(ctx context.Context, tx *sql.Tx, b *release.Bundle) error {
	res, err := tx.ExecContext(ctx, `UPDATE bundles SET path = ?, link = ?, comment = ?, deleted = ?
		WHERE app_id = ? AND name = ?`, b.Path, b.Link, b.Comment, b.Deleted, b.AppID, b.Name)
	return oneRow(res, err, "bundle "+b.Name)
}

func oneRow(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("store: %s not found", what)
	}
	return nil
}

func errOr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func createChannel(ctx context.Context, tx *sql.Tx, c *release.Channel, h []release.HistoryEntry) error {
	policy, guard, err := channelJSON(c)
	if err != nil {
		return err
	}
	if ok, err := exists(ctx, tx, `SELECT 1 FROM channels WHERE app_id = ? AND name = ?`, c.AppID, c.Name); err != nil || ok {
		return errOr(err, fmt.Errorf("channel %s: %w", c.Name, ErrExists))
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO channels(app_id, name, policy, bundle, previous_bundle, guard,
		last_trip_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.AppID, c.Name, policy, c.Bundle,
		c.PreviousBundle, guard, ms(c.LastTrip), ms(c.CreatedAt))
	if err != nil {
		return err
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return insertHistory(ctx, tx, c.ID, h)
}

func channelJSON(c *release.Channel) (policy, guard string, err error) {
	p, err := json.Marshal(c.Policy)
	if err != nil {
		return "", "", fmt.Errorf("store: channel policy: %w", err)
	}
	g, err := json.Marshal(c.Guard)
	if err != nil {
		return "", "", fmt.Errorf("store: channel guard: %w", err)
	}
	return string(p), string(g), nil
}

func updateChannel(ctx context.Context, tx *sql.Tx, c *release.Channel, h []release.HistoryEntry) error {
	policy, guard, err := channelJSON(c)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE channels SET policy = ?, bundle = ?, previous_bundle = ?, guard = ?,
		last_trip_at = ? WHERE id = ?`, policy, c.Bundle, c.PreviousBundle, guard, ms(c.LastTrip), c.ID)
	if err := oneRow(res, err, fmt.Sprintf("channel %d", c.ID)); err != nil {
		return err
	}
	if r := c.Rollout; r != nil {
		if r.ID == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO rollouts(channel_id, bundle, percent_bp, state, started_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, c.ID, r.Bundle, r.PercentBP, string(r.State), ms(r.StartedAt), ms(r.UpdatedAt))
			if err != nil {
				return err
			}
			if r.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE rollouts SET bundle = ?, percent_bp = ?, state = ?, updated_at = ?
			WHERE id = ?`, r.Bundle, r.PercentBP, string(r.State), ms(r.UpdatedAt), r.ID); err != nil {
			return err
		}
	}
	return insertHistory(ctx, tx, c.ID, h)
}

func insertHistory(ctx context.Context, tx *sql.Tx, channelID int64, h []release.HistoryEntry) error {
	for _, e := range h {
		if _, err := tx.ExecContext(ctx, `INSERT INTO history(channel_id, at, event, bundle, percent_bp, reason)
			VALUES (?, ?, ?, ?, ?, ?)`, channelID, ms(e.At), e.Event, e.Bundle, e.PercentBP, e.Reason); err != nil {
			return err
		}
	}
	return nil
}

// History returns a channel's history, oldest first.
func (s *Store) History(ctx context.Context, channelID int64) ([]release.HistoryEntry, error) {
	out := []release.HistoryEntry{}
	err := query(ctx, s.db, `SELECT at, event, bundle, percent_bp, reason FROM history WHERE channel_id = ? ORDER BY id`,
		func(r *sql.Rows) error {
			var e release.HistoryEntry
			var at int64
			if err := r.Scan(&at, &e.Event, &e.Bundle, &e.PercentBP, &e.Reason); err != nil {
				return err
			}
			e.At = fromMS(at)
			out = append(out, e)
			return nil
		}, channelID)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	return out, nil
}

// SetOverride pins a device to a channel.
func (s *Store) SetOverride(ctx context.Context, appID, deviceID string, channelID int64) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO overrides(app_id, device_id, channel_id) VALUES (?, ?, ?)
		ON CONFLICT(app_id, device_id) DO UPDATE SET channel_id = excluded.channel_id`, appID, deviceID, channelID)
	if err != nil {
		return fmt.Errorf("store: set override: %w", err)
	}
	return nil
}

// DeleteOverride removes a device's override and reports whether it had one.
func (s *Store) DeleteOverride(ctx context.Context, appID, deviceID string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM overrides WHERE app_id = ? AND device_id = ?`, appID, deviceID)
	if err != nil {
		return false, fmt.Errorf("store: delete override: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
