// Package ackcheck checks a stopped reference server's SQLite file against
// the stats events a load generator saw acknowledged: every acknowledged
// event stored, and no event stored twice. The generators
// (bench/statsbench, bench/overload) give each event a unique
// timestamp, a base plus its sequence number, which is how it is found,
// and keep what was acknowledged as runs of sequence numbers in a text
// file of "first n" lines.
package ackcheck

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Range is a run of acknowledged sequence numbers: First to First+N-1.
type Range struct{ First, N int64 }

// Bounds of a file's ranges: well beyond any run here, small enough that
// Verify's tables of sequence numbers stay in memory.
const (
	maxFirst = 1 << 40
	maxN     = 1 << 20
)

// Write writes ranges as "first n" lines.
func Write(path string, rs []Range) error {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%d %d\n", r.First, r.N)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// Read reads the file of Write; a bad line is an error at path:line.
func Read(path string) ([]Range, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Range
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		a, b, ok := strings.Cut(sc.Text(), " ")
		first, err1 := strconv.ParseInt(a, 10, 64)
		n, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || first < 1 || n < 1 || first > maxFirst || n > maxN {
			return nil, fmt.Errorf("%s:%d: want \"first n\", got %q", path, line, sc.Text())
		}
		out = append(out, Range{first, n})
	}
	return out, sc.Err()
}

// Result compares the stored events with the acknowledged ones.
type Result struct {
	Rows    int64 // stats_events rows with a timestamp of the run
	Acked   int64
	Lost    int64 // acknowledged, not stored
	Dupes   int64 // rows beyond the first of one event
	Unacked int64 // events stored, not acknowledged (a reply in flight at the end, or lost on the way)
}

// Summary is one line for a benchmark's log.
func (r Result) Summary() string {
	return fmt.Sprintf("VERIFY rows=%d acked=%d lost=%d duplicates=%d stored_unacked=%d", r.Rows, r.Acked, r.Lost, r.Dupes, r.Unacked)
}

// Verify reads the stats events of a stopped server's database whose
// timestamps are over base and checks them against the acknowledged
// ranges of sequence numbers (timestamp - base).
func Verify(ctx context.Context, dbPath string, base int64, acked []Range) (Result, error) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return Result{}, err
	}
	if _, err := os.Stat(abs); err != nil {
		return Result{}, fmt.Errorf("verify: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+abs+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		return Result{}, fmt.Errorf("verify: %w", err)
	}
	defer db.Close()
	var last int64
	for _, r := range acked {
		last = max(last, r.First+r.N-1)
	}
	var res Result
	isAcked := make([]bool, last+1)
	for _, r := range acked {
		for i := r.First; i < r.First+r.N; i++ {
			isAcked[i] = true
		}
		res.Acked += r.N
	}
	rows, err := db.QueryContext(ctx, `SELECT timestamp - ?, COUNT(*) FROM stats_events WHERE timestamp > ? GROUP BY timestamp`, base, base)
	if err != nil {
		return Result{}, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	stored := make([]bool, last+1)
	for rows.Next() {
		var i, n int64
		if err := rows.Scan(&i, &n); err != nil {
			return Result{}, fmt.Errorf("verify: %w", err)
		}
		res.Rows += n
		res.Dupes += n - 1
		if i > last || !isAcked[i] {
			res.Unacked++
			continue
		}
		stored[i] = true
	}
	if err := rows.Err(); err != nil {
		return Result{}, fmt.Errorf("verify: %w", err)
	}
	for i, a := range isAcked {
		if a && !stored[i] {
			res.Lost++
		}
	}
	return res, nil
}
