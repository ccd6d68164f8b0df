package history

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otasim/otasim/sim/results"
)

// Meta is what the history keeps beside the run itself.
type Meta struct {
	// ScenarioHash is the SHA-256 of the scenario's source
	// (scenarios.Scenario.Hash).
	ScenarioHash string
	// Version of otasim that ran it.
	Version string
	// Folder is the run folder (report.html, the JSON files).
	Folder string
}

// Entry is one run as `otasim runs` lists it.
type Entry struct {
	ID           string `json:"id"`
	Scenario     string `json:"scenario"`
	ScenarioHash string `json:"scenario_hash"`
	Seed         uint64 `json:"seed"`
	Version      string `json:"otasim_version"`
	StartedAt    string `json:"started_at"`
	RecordedAt   string `json:"recorded_at"`
	Devices      int    `json:"devices"`
	// Verdict is the run's whole verdict (PASS, FAIL, INCONCLUSIVE);
	// Pass is Verdict == PASS.
	Verdict        results.Verdict `json:"verdict"`
	Pass           bool            `json:"pass"`
	Interrupted    bool            `json:"interrupted"`
	WallSeconds    float64         `json:"wall_seconds"`
	VirtualSeconds float64         `json:"virtual_seconds"`
	Folder         string          `json:"folder"`
}

// Record stores a run, replacing a run of the same id, in one
// transaction: a run is stored whole or not at all.
func (d *DB) Record(ctx context.Context, run *results.Run, meta Meta) error {
	if run == nil || run.Summary.RunID == "" {
		return errors.New("history: record: a run without an id")
	}
	s := &run.Summary
	sum, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("history: record: %w", err)
	}
	ser, err := json.Marshal(&run.Series)
	if err != nil {
		return fmt.Errorf("history: record: %w", err)
	}
	type hist struct {
		name, unit string
		count      int64
		blob       []byte
	}
	var hs []hist
	for name, h := range run.Histograms.Histograms {
		// Stored as the raw V2 compressed bytes (the JSON form is their
		// base64): lossless and a quarter smaller.
		blob, err := base64.StdEncoding.DecodeString(h.Encoded)
		if err != nil {
			return fmt.Errorf("history: record: histogram %s: %w", name, err)
		}
		hs = append(hs, hist{name, h.Unit, h.Count, blob})
	}
	schema := s.Schema
	if schema == "" {
		schema = results.SchemaSummary
	}
	return inTx(ctx, d.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, s.RunID); err != nil {
			return fmt.Errorf("history: record: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO runs (id, scenario, scenario_hash, seed, otasim_version, started_at, recorded_at,
			devices, pass, verdict, interrupted, wall_seconds, virtual_seconds, folder, summary_schema, summary, series)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.RunID, s.Scenario, meta.ScenarioHash, strconv.FormatUint(s.Seed, 10), meta.Version, s.StartedAt,
			d.now().UTC().Format(time.RFC3339), s.Devices, s.Verdict == results.VerdictPass, string(verdictOf(s)), s.Interrupted,
			s.WallSeconds, s.VirtualSeconds, meta.Folder, schema, string(sum), string(ser))
		if err != nil {
			return fmt.Errorf("history: record: %w", err)
		}
		for _, h := range hs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO histograms (run_id, name, unit, count, encoded) VALUES (?, ?, ?, ?, ?)`,
				s.RunID, h.name, h.unit, h.count, h.blob); err != nil {
				return fmt.Errorf("history: record: histogram %s: %w", h.name, err)
			}
		}
		return nil
	})
}

// verdictOf is the verdict a summary records: its own, or, for a summary
// judged before verdicts existed, what its pass and interrupted say.
func verdictOf(s *results.Summary) results.Verdict {
	switch {
	case s.Verdict != "":
		return s.Verdict
	case s.Interrupted:
		return results.VerdictInconclusive
	case s.Pass:
		return results.VerdictPass
	}
	return results.VerdictFail
}

const entryColumns = `id, scenario, scenario_hash, seed, otasim_version, started_at, recorded_at, devices, pass, verdict, interrupted,
	wall_seconds, virtual_seconds, folder`

func scanEntry(row interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var seed string
	err := row.Scan(&e.ID, &e.Scenario, &e.ScenarioHash, &seed, &e.Version, &e.StartedAt, &e.RecordedAt, &e.Devices,
		&e.Pass, &e.Verdict, &e.Interrupted, &e.WallSeconds, &e.VirtualSeconds, &e.Folder)
	if err != nil {
		return e, err
	}
	e.Seed, _ = strconv.ParseUint(seed, 10, 64)
	return e, nil
}

// Filter narrows List.
type Filter struct {
	Scenario string // "" for every scenario
	Limit    int    // 0 for no limit
}

// List returns runs, newest first.
func (d *DB) List(ctx context.Context, f Filter) ([]Entry, error) {
	q := `SELECT ` + entryColumns + ` FROM runs`
	var args []any
	if f.Scenario != "" {
		q += ` WHERE scenario = ?`
		args = append(args, f.Scenario)
	}
	q += ` ORDER BY started_at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("history: list: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	return out, nil
}

// Scope narrows what "latest" means in Resolve.
type Scope struct {
	// Scenario: only runs of this scenario ("" for any).
	Scenario string
	// Exclude is a run id to skip (the run being judged against its
	// baseline).
	Exclude string
	// Verdict: only runs with this verdict ("" for any). A baseline is
	// the newest run whose verdict was PASS.
	Verdict results.Verdict
}

// Resolve turns a reference into a run id: "latest" (the newest run in
// scope), "latest~N" (the N-th before it), an id, or a unique prefix of
// one.
func (d *DB) Resolve(ctx context.Context, ref string, scope Scope) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", errors.New("history: empty run reference")
	}
	if rest, ok := strings.CutPrefix(ref, "latest"); ok && (rest == "" || strings.HasPrefix(rest, "~")) {
		back := 0
		if rest != "" {
			n, err := strconv.Atoi(rest[1:])
			if err != nil || n < 0 {
				return "", fmt.Errorf("history: run %q: want latest or latest~N", ref)
			}
			back = n
		}
		q := `SELECT id FROM runs WHERE id != ?`
		args := []any{scope.Exclude}
		if scope.Scenario != "" {
			q += ` AND scenario = ?`
			args = append(args, scope.Scenario)
		}
		if scope.Verdict != "" {
			q += ` AND verdict = ?`
			args = append(args, string(scope.Verdict))
		}
		q += ` ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?`
		args = append(args, back)
		var id string
		err := d.db.QueryRowContext(ctx, q, args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			what := "no such run recorded"
			if scope.Scenario != "" {
				what = "no such earlier run of " + scope.Scenario + " recorded"
			}
			if scope.Verdict != "" {
				what += " with verdict " + string(scope.Verdict)
			}
			return "", fmt.Errorf("%w: %s: %s in %s", ErrNotFound, ref, what, d.path)
		}
		if err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		return id, nil
	}
	rows, err := d.db.QueryContext(ctx, `SELECT id FROM runs WHERE id = ? OR substr(id, 1, ?) = ? ORDER BY id LIMIT 3`, ref, len(ref), ref)
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		if id == ref {
			return id, nil
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("%w %q in %s (see otasim runs)", ErrNotFound, ref, d.path)
	case 1:
		return ids[0], nil
	default:
		return "", fmt.Errorf("run %q is ambiguous: %s, ...", ref, strings.Join(ids, ", "))
	}
}

// Get returns the entry of a run id.
func (d *DB) Get(ctx context.Context, id string) (Entry, error) {
	e, err := scanEntry(d.db.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("%w %q in %s", ErrNotFound, id, d.path)
	}
	if err != nil {
		return e, fmt.Errorf("history: %w", err)
	}
	return e, nil
}

// Load reads a stored run back whole: summary, series and histograms.
func (d *DB) Load(ctx context.Context, id string) (*results.Run, Entry, error) {
	e, err := d.Get(ctx, id)
	if err != nil {
		return nil, e, err
	}
	var schema, sum, ser string
	if err := d.db.QueryRowContext(ctx, `SELECT summary_schema, summary, series FROM runs WHERE id = ?`, id).Scan(&schema, &sum, &ser); err != nil {
		return nil, e, fmt.Errorf("history: load %s: %w", id, err)
	}
	run := &results.Run{}
	if err := results.UnmarshalSummary([]byte(sum), &run.Summary); err != nil {
		if !results.KnownSummarySchema(schema) {
			return nil, e, fmt.Errorf("history: run %s: summary schema %q %w (this one reads %q)", id, schema, ErrNewerSchema, results.SchemaSummary)
		}
		return nil, e, fmt.Errorf("history: run %s: summary: %w", id, err)
	}
	if err := json.Unmarshal([]byte(ser), &run.Series); err != nil {
		return nil, e, fmt.Errorf("history: run %s: series: %w", id, err)
	}
	run.Series.Schema = results.SchemaSeries
	run.Histograms = results.Histograms{Schema: results.SchemaHistograms, Histograms: map[string]results.Histogram{}}
	rows, err := d.db.QueryContext(ctx, `SELECT name, unit, count, encoded FROM histograms WHERE run_id = ? ORDER BY name`, id)
	if err != nil {
		return nil, e, fmt.Errorf("history: run %s: histograms: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, unit string
		var count int64
		var blob []byte
		if err := rows.Scan(&name, &unit, &count, &blob); err != nil {
			return nil, e, fmt.Errorf("history: run %s: histograms: %w", id, err)
		}
		run.Histograms.Histograms[name] = results.Histogram{Unit: unit, Count: count, Encoded: base64.StdEncoding.EncodeToString(blob)}
	}
	if err := rows.Err(); err != nil {
		return nil, e, fmt.Errorf("history: run %s: histograms: %w", id, err)
	}
	return run, e, nil
}
