package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"time"
)

// seen remembers the events stored within a window, to recognise a
// retried one: the plugin posts a batch again after a timeout or a 5xx
// (A/CapgoUpdater.java:3075-3116), so delivery is at least once, and an
// event must count once. An event is the same as another when its app,
// device, action, version names, device timestamp and metadata are: the
// plugin stamps each event with its time in ms when it queues it
// (A/CapgoUpdater.java:2831) and resends it unchanged. An event without a
// timestamp (older plugins) is never taken for a retry.
//
// Two generations of 64-bit keys: a key is remembered while it is in
// either; the current one becomes the previous one after half the window
// (of events' ReceivedAt) or when it holds half of max keys, so an event
// is remembered between half the window and the window (shorter when the
// count bites: rotations by count are counted). The generation forgotten
// keeps its array for the next one.
type seen struct {
	seed       maphash.Seed
	window     time.Duration
	max        int
	cur, prev  *keyTable
	curStart   time.Time
	fullRotate int64 // rotations because the count bit
}

func newSeen(window time.Duration, max int) *seen {
	return &seen{seed: maphash.MakeSeed(), window: window, max: max, cur: &keyTable{}, prev: &keyTable{}}
}

// key is an event's identity, 0 when it has none (no timestamp). meta is
// its metadata as stored. It reads only the seed, so that WriteEvents'
// callers compute their events' keys, not the writer.
func (w *seen) key(e *Event, meta string) uint64 {
	if e.Timestamp == 0 {
		return 0
	}
	var h maphash.Hash
	h.SetSeed(w.seed)
	for _, s := range [...]string{e.AppID, e.DeviceID, e.Action, e.VersionName, e.OldVersionName, meta} {
		var n [4]byte
		binary.LittleEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.WriteString(s)
	}
	var ts [8]byte
	binary.LittleEndian.PutUint64(ts[:], uint64(e.Timestamp))
	h.Write(ts[:])
	return h.Sum64() | 1 // never 0
}

func (w *seen) has(k uint64) bool { return w.cur.has(k) || w.prev.has(k) }

// add remembers a stored event received at at.
func (w *seen) add(k uint64, at time.Time) {
	if w.curStart.IsZero() {
		w.curStart = at
	}
	full := w.cur.n >= w.max/2
	if full || at.Sub(w.curStart) >= w.window/2 {
		if full {
			w.fullRotate++
		}
		w.prev, w.cur, w.curStart = w.cur, w.prev, at
		w.cur.reset()
	}
	w.cur.add(k)
}

// restore remembers the events of the last window stored before a
// restart, newest first, so that a batch acknowledged before a crash and
// retried after it counts once.
func (w *seen) restore(ctx context.Context, db *sql.DB) error {
	var last int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(received_at), 0) FROM stats_events`).Scan(&last); err != nil {
		return fmt.Errorf("store: restore retry keys: %w", err)
	}
	if last == 0 {
		return nil
	}
	since := last - w.window.Milliseconds()
	// Newest first by row id (the order of commits), stopping at the first
	// event older than the window: no scan of the table's past.
	rows, err := db.QueryContext(ctx, `SELECT app_id, device_id, action, version_name, old_version_name, metadata,
		timestamp, received_at FROM stats_events ORDER BY id DESC LIMIT ?`, w.max/2)
	if err != nil {
		return fmt.Errorf("store: restore retry keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		var meta string
		var recv int64
		if err := rows.Scan(&e.AppID, &e.DeviceID, &e.Action, &e.VersionName, &e.OldVersionName, &meta, &e.Timestamp, &recv); err != nil {
			return fmt.Errorf("store: restore retry keys: %w", err)
		}
		if recv < since {
			break
		}
		if k := w.key(&e, meta); k != 0 {
			w.cur.add(k)
		}
	}
	// They are remembered for a window from the last one.
	w.curStart = fromMS(last)
	return rows.Err()
}
