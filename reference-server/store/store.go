// Package store persists the reference server in SQLite (modernc.org/sqlite,
// pure Go): apps, bundles, channels, rollouts, guard settings, history,
// device overrides, devices, stats events and per-bundle counts.
//
// The database runs in WAL mode with versioned migrations. Writes go
// through one connection; stats events go through one writer goroutine that
// commits them in groups, so a caller that got nil back from WriteEvents
// knows its events survive a crash of the process.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("store: closed")

// reqQueue is the capacity of the writer's queue of calls; MaxPending
// bounds their events.
const reqQueue = 4096

// Store is an open database. It is safe for concurrent use.
type Store struct {
	cfg     Config
	db      *sql.DB // one connection: every write, and reads
	dir     string  // bundle files
	reqs    chan writeReq
	stop    chan struct{}
	done    chan struct{}
	devMu   sync.Mutex
	devices map[deviceKey]Device // pending device writes, coalesced
	closeMu sync.RWMutex
	closed  bool
	// The writer's statements, prepared once on the one connection:
	// preparing them again for every group commit cost about as much as
	// the inserts of a small group. Their ids in wc.
	wc                    writerConn
	insEvents, putDevices rowsStmt
	addCount              int
	// rowBufs hold the callers' events made ready to insert (prepare.go).
	rowBufs rowBufPool
	// commits and posts count the writer's group commits and the
	// WriteEvents calls they carried (benchmarks read them).
	commits, posts atomic.Int64

	// Admission and health of the writer (writer.go), and its memory of
	// stored events (dedup.go), which only the writer touches.
	pending             atomic.Int64
	failing, probing    atomic.Bool
	seen                *seen
	inGroup             keyTable // the retry keys of the group being committed
	retries, windowCuts atomic.Int64
}

// Open opens (creating if needed) the database at path, applies pending
// migrations and starts the stats writer. Bundle files live in the folder
// path + ".bundles".
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenConfig(ctx, Config{Path: path})
}

// OpenConfig is Open with the writer's bounds.
func OpenConfig(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	path := cfg.Path
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	dir := abs + ".bundles"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: bundle folder: %w", err)
	}
	q := url.Values{}
	// temp_store(MEMORY) keeps the statement journals of the multi-row
	// inserts in memory (half the writer's pwrite calls went to them);
	// a 64 MiB page cache holds a fleet's devices table (with the default
	// 2 MiB, three of four /stats posts read a page back from the file);
	// checkpoints every 8,192 pages instead of 1,000 write a page
	// changed by many commits once and fsync a sixth as often.
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "foreign_keys(1)",
		"temp_store(MEMORY)", "cache_size(-65536)", "wal_autocheckpoint(8192)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// SQLite has one writer; one connection makes that explicit and keeps
	// the pragmas on the connection that does the work.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{cfg: cfg, db: db, dir: dir, reqs: make(chan writeReq, reqQueue), stop: make(chan struct{}), done: make(chan struct{}),
		devices: map[deviceKey]Device{}, seen: newSeen(cfg.DedupWindow, cfg.DedupMax)}
	if err := s.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.seen.restore(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	go s.writer()
	return s, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: schema_migrations: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("store: database schema version %d is newer than this program (%d)", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)`, v, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %d: %w", v, err)
		}
	}
	return nil
}

// SchemaVersion returns the number of applied migrations.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func inTx(ctx context.Context, db *sql.DB, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// BundleDir is the folder that holds an app's bundle files. appID must be
// valid (release.ValidAppID), which keeps it inside the store's folder.
func (s *Store) BundleDir(appID string) string { return filepath.Join(s.dir, appID) }

// Close stops the stats writer after it has committed everything queued,
// writes pending devices and closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.closeMu.Unlock()
	<-s.done
	s.wc.close(s.db)
	return s.db.Close()
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
