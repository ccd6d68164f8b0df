// Package history keeps every run in a SQLite database (runs/runs.db by
// default): the scenario and its hash, the seed, the otasim version, the
// start time, the summary and series as JSON, and every HDR histogram in
// its lossless encoding, so a stored run re-renders, compares and merges
// exactly. The database runs in WAL mode with versioned migrations.
package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver, pure Go
)

// DefaultPath is where runs are recorded unless told otherwise.
const DefaultPath = "runs/runs.db"

// Typed errors a caller branches on.
var (
	// ErrNoHistory: the database file does not exist.
	ErrNoHistory = errors.New("no run history")
	// ErrNotFound: no run has that id.
	ErrNotFound = errors.New("unknown run")
	// ErrNewerSchema: the database or a stored summary was written by a
	// newer otasim.
	ErrNewerSchema = errors.New("written by a newer otasim")
)

// DB is an open run history.
type DB struct {
	db   *sql.DB
	path string
	now  func() time.Time
}

// Open opens an existing history; a missing file is ErrNoHistory, a file
// that is not a SQLite database or holds no run history a clear error.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("history: empty database path")
	}
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s (runs are recorded there by otasim run)", ErrNoHistory, path)
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("history: %s is not a file", path)
	}
	return open(ctx, path)
}

// Create opens the history at path, creating its folder and the database
// when missing.
func Create(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("history: empty database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return open(ctx, path)
}

func open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	// One writer in SQLite; one connection keeps the pragmas where the
	// work happens.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: %s is not a readable run history: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: %s: %w", path, err)
	}
	return &DB{db: db, path: path, now: time.Now}, nil
}

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// SetClock replaces the wall clock used for recorded_at (tests).
func (d *DB) SetClock(now func() time.Time) { d.now = now }

// migrations is the ordered schema history; each entry is applied once,
// in its own transaction. Never edit an applied entry: add one.
func migrations() []string {
	return []string{
		`CREATE TABLE runs (
			id TEXT PRIMARY KEY,
			scenario TEXT NOT NULL,
			scenario_hash TEXT NOT NULL,
			seed TEXT NOT NULL,
			otasim_version TEXT NOT NULL,
			started_at TEXT NOT NULL,
			recorded_at TEXT NOT NULL,
			devices INTEGER NOT NULL,
			pass INTEGER NOT NULL,
			interrupted INTEGER NOT NULL,
			wall_seconds REAL NOT NULL,
			virtual_seconds REAL NOT NULL,
			folder TEXT NOT NULL,
			summary_schema TEXT NOT NULL,
			summary TEXT NOT NULL,
			series TEXT NOT NULL
		);
		CREATE INDEX runs_started ON runs(started_at, id);
		CREATE INDEX runs_scenario ON runs(scenario, started_at, id);
		CREATE TABLE histograms (
			run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
			name TEXT NOT NULL,
			unit TEXT NOT NULL,
			count INTEGER NOT NULL,
			encoded BLOB NOT NULL,
			PRIMARY KEY (run_id, name)
		);`,
		// The run's whole verdict. Runs recorded before it get theirs
		// from pass and interrupted (their baseline comparison, if any,
		// was not kept).
		`ALTER TABLE runs ADD COLUMN verdict TEXT NOT NULL DEFAULT '';
		UPDATE runs SET verdict = CASE WHEN interrupted = 1 THEN 'INCONCLUSIVE' WHEN pass = 1 THEN 'PASS' ELSE 'FAIL' END;
		CREATE INDEX runs_scenario_verdict ON runs(scenario, verdict, started_at, id);`,
	}
}

func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("not a readable run history: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	ms := migrations()
	if have > len(ms) {
		return fmt.Errorf("schema version %d %w (this one knows %d)", have, ErrNewerSchema, len(ms))
	}
	for v := have + 1; v <= len(ms); v++ {
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, ms[v-1]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)`, v, time.Now().UTC().Format(time.RFC3339))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}

func inTx(ctx context.Context, db *sql.DB, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
