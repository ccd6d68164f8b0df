package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event is one stats event as stored.
type Event struct {
	AppID          string
	DeviceID       string
	Action         string
	VersionName    string
	OldVersionName string
	VersionBuild   string
	Platform       string
	IsProd         bool
	IsEmulator     bool
	// Timestamp is the device's time in ms; ReceivedAt the server's.
	Timestamp  int64
	ReceivedAt time.Time
	Metadata   map[string]string
	// Counts are what storing the event adds to the per-bundle counters;
	// a retried event adds nothing (it is not stored again).
	Counts []CountDelta
}

// CountDelta adds N to a per-bundle counter. Kind is "install",
// "uninstall" or a failure action such as "update_fail".
type CountDelta struct {
	AppID  string
	Bundle string
	Kind   string
	N      int64
}

// Count kinds besides failure actions.
const (
	KindInstall   = "install"
	KindUninstall = "uninstall"
)

// Device is the last known state of a device.
type Device struct {
	AppID        string
	DeviceID     string
	Platform     string
	VersionName  string
	VersionBuild string
	LastSeen     time.Time
}

type deviceKey struct{ app, device string }

type writeReq struct {
	events []Event
	rows   *rowBuf // the events made ready to insert
	done   chan writeResult
	probe  bool // sent while storage was failing, to find out whether it still is
}

type writeResult struct {
	dup []bool
	err error
}

// maxGroup bounds the events of one group commit so that one transaction
// stays short.
const maxGroup = 4096

// Errors of WriteEvents that tell the caller to come back later; nothing
// was stored.
var (
	// ErrBusy: the writer holds its maximum of pending events.
	ErrBusy = errors.New("store: the stats writer holds its maximum of events")
	// ErrFailing: the last commit failed, and another call is finding out
	// whether storage works again.
	ErrFailing = errors.New("store: storage is failing")
)

// WriteEvents stores events and adds their counts in one transaction
// (shared with other callers' events: group commit) and returns once they
// are committed; callers acknowledge events only after it returned nil.
// dup[i] reports that events[i] had been stored already within the retry
// window (a retried batch, or a copy in the same call): it is not stored
// again and its counts are not added; dup is nil when no event was one.
// It refuses at once, storing nothing, with ErrBusy when the writer holds
// Config.MaxPending events, and with ErrFailing while storage fails (one
// call at a time is let through to find out when it works again).
func (s *Store) WriteEvents(ctx context.Context, events []Event) (dup []bool, err error) {
	n := int64(len(events))
	req := writeReq{events: events, done: make(chan writeResult, 1)}
	if s.failing.Load() {
		if !s.probing.CompareAndSwap(false, true) {
			return nil, ErrFailing
		}
		req.probe = true
	}
	refuse := func(err error) ([]bool, error) {
		if req.rows != nil {
			s.rowBufs.release(req.rows)
		}
		s.pending.Add(-n)
		if req.probe {
			s.probing.Store(false)
		}
		return nil, err
	}
	if p := s.pending.Add(n); p > int64(s.cfg.MaxPending) && p != n {
		return refuse(ErrBusy)
	}
	// Made ready once admitted: a server shedding a flood refuses it
	// without the work.
	if req.rows, err = s.rowBufs.prepare(events, s.seen); err != nil {
		return refuse(err)
	}
	// The read lock spans the send so that Close, which takes the write
	// lock before it stops the writer, never strands a request in the
	// queue after the writer drained it.
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return refuse(ErrClosed)
	}
	select {
	case s.reqs <- req:
	default:
		s.closeMu.RUnlock()
		return refuse(ErrBusy)
	}
	s.closeMu.RUnlock()
	select {
	case res := <-req.done:
		s.rowBufs.release(req.rows)
		return res.dup, res.err
	case <-ctx.Done():
		// The events may still be committed; the caller must not
		// acknowledge them (nor reuse their rows, which the writer may
		// still read).
		return nil, ctx.Err()
	}
}

// Pending is the number of events waiting for the writer.
func (s *Store) Pending() int64 { return s.pending.Load() }

// Failing reports whether the last commit failed.
func (s *Store) Failing() bool { return s.failing.Load() }

// WriterStats are counts of the stats writer since Open.
type WriterStats struct {
	// Retries are the events recognised as retries (not stored again).
	Retries int64
	// WindowCuts are the times the retry window was shortened because it
	// held DedupMax events.
	WindowCuts int64
}

// Stats returns the writer's counts.
func (s *Store) Stats() WriterStats {
	return WriterStats{Retries: s.retries.Load(), WindowCuts: s.windowCuts.Load()}
}

// TouchDevice records a device's last check. It never blocks: the write
// joins the writer's next tick (DeviceFlushInterval) or, once
// devicesPerCommit are pending, its next transaction; later touches of
// the same device replace earlier ones not yet written.
func (s *Store) TouchDevice(d Device) {
	s.devMu.Lock()
	s.devices[deviceKey{d.AppID, d.DeviceID}] = d
	s.devMu.Unlock()
}

// DeviceFlushInterval is how often pending device writes are committed.
// Device activity is not acknowledged to anyone, so a crash may lose this
// much of it.
const DeviceFlushInterval = 250 * time.Millisecond

// devicesPerCommit is how many pending devices make a stats commit carry
// them before the next tick. Below it they wait for the tick, for the
// cost of a commit that upserts devices: their ids are random, so the
// upserts split leaves all over the devices table, and SQLite's
// balance_nonroot swaps page numbers through a temporary one past the end
// of the file (the pending-byte page's). That leaves the page cache's
// largest key there, and while the file is under 1 GiB the truncation
// of the cache that ends the commit (pager_end_transaction) scans the
// cache's whole hash table (pcache1TruncateUnsafe): 3% of a 1M fleet
// run's CPU when every stats commit carried devices. Once per tick
// instead, and a device touched twice in a tick is written once.
const devicesPerCommit = 4096

// groupWindow is the least time between the starts of two group commits
// while requests come from several callers at once: a request that finds
// the previous commit carried more than one and started less than
// groupWindow ago waits until then, gathering others; otherwise it is
// committed at once (a lone caller never waits). A commit's cost is
// mostly fixed (the WAL frames of every page it touches: the events'
// table and index leaves, the counts, the devices), and without the wait
// a busy server's commits carried one or two /stats posts each.
const groupWindow = 4 * time.Millisecond

func (s *Store) writer() {
	defer close(s.done)
	tick := time.NewTicker(DeviceFlushInterval)
	defer tick.Stop()
	window := time.NewTimer(groupWindow)
	window.Stop()
	var last time.Time // start of the previous group commit
	lastN := 0         // the requests it carried
	for {
		select {
		case r := <-s.reqs:
			batch := []writeReq{r}
			if wait := groupWait(time.Since(last), lastN); wait > 0 {
				batch = s.gatherFor(batch, window, wait)
			} else {
				batch = s.gather(batch)
			}
			last, lastN = time.Now(), len(batch)
			s.commit(batch)
		case <-tick.C:
			s.commit(nil)
		case <-s.stop:
			for {
				batch := s.gather(nil)
				if len(batch) == 0 {
					break
				}
				s.commit(batch)
			}
			s.commit(nil)
			return
		}
	}
}

// groupWait is how long a request waits for others: the rest of the
// window when the previous group, started since ago, carried lastN
// requests.
func groupWait(since time.Duration, lastN int) time.Duration {
	if lastN < 2 || since >= groupWindow {
		return 0
	}
	return groupWindow - since
}

// gatherFor adds the requests that arrive within wait, up to maxGroup
// events; the stop of the store ends the wait early.
func (s *Store) gatherFor(batch []writeReq, window *time.Timer, wait time.Duration) []writeReq {
	n := 0
	for _, r := range batch {
		n += len(r.events)
	}
	window.Reset(wait)
	defer window.Stop()
	for n < maxGroup {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
			n += len(r.events)
		case <-window.C:
			return s.gather(batch)
		case <-s.stop:
			return s.gather(batch)
		}
	}
	return batch
}

// gather adds whatever is queued now, up to maxGroup events.
func (s *Store) gather(batch []writeReq) []writeReq {
	n := 0
	for _, r := range batch {
		n += len(r.events)
	}
	for n < maxGroup {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
			n += len(r.events)
		default:
			return batch
		}
	}
	return batch
}

func (s *Store) commit(batch []writeReq) {
	devs := s.takeDevices(batch == nil)
	if len(batch) == 0 && len(devs) == 0 {
		return
	}
	g := s.group(batch)
	err := s.wc.inTx(context.Background(), s.db, func(tx *writeTx) error {
		if err := s.insertEvents(tx, g); err != nil {
			return err
		}
		return s.upsertDevices(tx, devs)
	})
	if err != nil {
		err = fmt.Errorf("store: commit stats: %w", err)
		s.devMu.Lock()
		for k, d := range devs {
			if _, newer := s.devices[k]; !newer {
				s.devices[k] = d
			}
		}
		s.devMu.Unlock()
	} else {
		// Remembered only once committed: a batch that failed to commit is
		// stored whole when it comes again.
		for _, r := range g.rows {
			if r.key != 0 {
				s.seen.add(r.key, r.e.ReceivedAt)
			}
		}
		s.retries.Add(int64(g.dups))
		s.windowCuts.Store(s.seen.fullRotate)
	}
	s.failing.Store(err != nil)
	s.commits.Add(1)
	s.posts.Add(int64(len(batch)))
	n := int64(0)
	for _, r := range batch {
		n += int64(len(r.events))
	}
	s.pending.Add(-n)
	for i, r := range batch {
		res := writeResult{err: err}
		if err == nil {
			res.dup = g.dup[i]
		}
		if r.probe {
			s.probing.Store(false)
		}
		r.done <- res
	}
}

// takeDevices takes the pending devices for a commit: the tick's, or a
// stats commit's once devicesPerCommit are pending; nil otherwise.
// Touches from then on go to a fresh map.
func (s *Store) takeDevices(tick bool) map[deviceKey]Device {
	s.devMu.Lock()
	defer s.devMu.Unlock()
	n := len(s.devices)
	if n == 0 || (!tick && n < devicesPerCommit) {
		return nil
	}
	devs := s.devices
	s.devices = make(map[deviceKey]Device, n)
	return devs
}

// group is the rows of a group commit: the events not stored before and
// the counts they add.
type group struct {
	rows   []row
	deltas map[countKey]int64
	dup    [][]bool // per request, nil when it had no retried event
	dups   int
}

// group sorts a batch's events into those to store and the retries.
func (s *Store) group(batch []writeReq) *group {
	n := 0
	for _, r := range batch {
		n += len(r.events)
	}
	g := &group{rows: make([]row, 0, n), deltas: map[countKey]int64{}, dup: make([][]bool, len(batch))}
	s.inGroup.reset()
	for ri, r := range batch {
		for i, row := range r.rows.rows {
			if k := row.key; k != 0 {
				if s.inGroup.has(k) || s.seen.has(k) {
					if g.dup[ri] == nil {
						g.dup[ri] = make([]bool, len(r.events))
					}
					g.dup[ri][i] = true
					g.dups++
					continue
				}
				s.inGroup.add(k)
			}
			g.rows = append(g.rows, row)
			// Summed over the group: a batch of installs is one upsert per
			// bundle, not one per event.
			for _, d := range row.e.Counts {
				g.deltas[countKey{d.AppID, d.Bundle, d.Kind}] += d.N
			}
		}
	}
	return g
}

// prepare registers the writer's statements and prepares them.
func (s *Store) prepare(ctx context.Context) error {
	w := &s.wc
	s.insEvents = w.addRows(`INSERT INTO stats_events(app_id, device_id, action, version_name,
		old_version_name, platform, is_prod, is_emulator, timestamp, received_at, metadata, version_build)`, eventValues, "")
	// Every pending device is one row of a multi-row upsert; a group holds
	// each device once (the pending map is keyed by device).
	s.putDevices = w.addRows(`INSERT INTO devices(app_id, device_id, platform, version_name, version_build, last_seen)`, 6,
		`ON CONFLICT(app_id, device_id) DO UPDATE SET
		platform = excluded.platform, version_name = excluded.version_name,
		version_build = excluded.version_build, last_seen = excluded.last_seen`)
	s.addCount = w.add(`INSERT INTO bundle_counts(app_id, bundle, kind, n) VALUES (?, ?, ?, ?)
		ON CONFLICT(app_id, bundle, kind) DO UPDATE SET n = n + excluded.n`)
	return w.prepare(ctx, s.db)
}

func (s *Store) insertEvents(tx *writeTx, g *group) error {
	if len(g.rows) > 0 {
		err := s.insEvents.exec(tx, len(g.rows), func(args []driver.NamedValue, k int) []driver.NamedValue {
			return append(args, g.rows[k].vals...)
		})
		if err != nil {
			return err
		}
	}
	args := make([]driver.NamedValue, 0, 4)
	for k, n := range g.deltas {
		if err := tx.exec(s.addCount, appendValues(args[:0], k.app, k.bundle, k.kind, n)); err != nil {
			return err
		}
	}
	return nil
}

type countKey struct{ app, bundle, kind string }

func (s *Store) upsertDevices(tx *writeTx, devs map[deviceKey]Device) error {
	if len(devs) == 0 {
		return nil
	}
	list := make([]*Device, 0, len(devs))
	for _, d := range devs {
		list = append(list, &d)
	}
	return s.putDevices.exec(tx, len(list), func(args []driver.NamedValue, k int) []driver.NamedValue {
		d := list[k]
		return appendValues(args, d.AppID, d.DeviceID, d.Platform, d.VersionName, d.VersionBuild, ms(d.LastSeen))
	})
}

// Counts returns every per-bundle counter.
func (s *Store) Counts(ctx context.Context) ([]CountDelta, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT app_id, bundle, kind, n FROM bundle_counts`)
	if err != nil {
		return nil, fmt.Errorf("store: counts: %w", err)
	}
	defer rows.Close()
	var out []CountDelta
	for rows.Next() {
		var d CountDelta
		if err := rows.Scan(&d.AppID, &d.Bundle, &d.Kind, &d.N); err != nil {
			return nil, fmt.Errorf("store: counts: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Devices calls fn for every device seen since a time.
func (s *Store) Devices(ctx context.Context, since time.Time, fn func(Device)) error {
	rows, err := s.db.QueryContext(ctx, `SELECT app_id, device_id, platform, version_name, version_build, last_seen
		FROM devices WHERE last_seen >= ?`, ms(since))
	if err != nil {
		return fmt.Errorf("store: devices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d Device
		var seen int64
		if err := rows.Scan(&d.AppID, &d.DeviceID, &d.Platform, &d.VersionName, &d.VersionBuild, &seen); err != nil {
			return fmt.Errorf("store: devices: %w", err)
		}
		d.LastSeen = fromMS(seen)
		fn(d)
	}
	return rows.Err()
}

// Events calls fn for every stored event of an app received at or after
// since, oldest first.
func (s *Store) Events(ctx context.Context, appID string, since time.Time, fn func(Event) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT device_id, action, version_name, old_version_name, platform,
		is_prod, is_emulator, timestamp, received_at, metadata, version_build FROM stats_events
		WHERE app_id = ? AND received_at >= ? ORDER BY id`, appID, ms(since))
	if err != nil {
		return fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e := Event{AppID: appID}
		var recv int64
		var meta string
		if err := rows.Scan(&e.DeviceID, &e.Action, &e.VersionName, &e.OldVersionName, &e.Platform,
			&e.IsProd, &e.IsEmulator, &e.Timestamp, &recv, &meta, &e.VersionBuild); err != nil {
			return fmt.Errorf("store: events: %w", err)
		}
		e.ReceivedAt = fromMS(recv)
		if meta != "" {
			if err := json.Unmarshal([]byte(meta), &e.Metadata); err != nil {
				return fmt.Errorf("store: event metadata: %w", err)
			}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
