package main

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

// VerifyResult compares the stored events with the acknowledged ones.
type VerifyResult struct {
	Rows  int64 // stats_events rows with a timestamp of the run
	Acked int64
	Lost  int64 // acknowledged, not stored
	Extra int64 // stored, not acknowledged (e.g. a reply lost on the way)
	Dupes int64 // timestamps stored more than once
}

// Summary is one line for the benchmark's log.
func (v VerifyResult) Summary() string {
	return fmt.Sprintf("VERIFY rows=%d acked=%d lost=%d stored_unacked=%d duplicates=%d", v.Rows, v.Acked, v.Lost, v.Extra, v.Dupes)
}

// Verify reads the stats events of a stopped server's database and checks
// them against the acknowledged ranges.
func Verify(ctx context.Context, dbPath string, acked []Range) (VerifyResult, error) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return VerifyResult{}, err
	}
	if _, err := os.Stat(abs); err != nil {
		return VerifyResult{}, fmt.Errorf("verify: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	db, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verify: %w", err)
	}
	defer db.Close()
	var max int64
	for _, r := range acked {
		max = maxInt(max, r.First+r.N)
	}
	var v VerifyResult
	ackedSet := make([]bool, max+1)
	for _, r := range acked {
		for i := r.First; i < r.First+r.N; i++ {
			ackedSet[i] = true
		}
		v.Acked += r.N
	}
	rows, err := db.QueryContext(ctx, `SELECT timestamp FROM stats_events WHERE timestamp > ?`, TimestampBase)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	seen := make([]bool, max+1)
	for rows.Next() {
		var ts int64
		if err := rows.Scan(&ts); err != nil {
			return VerifyResult{}, fmt.Errorf("verify: %w", err)
		}
		v.Rows++
		i := ts - TimestampBase
		switch {
		case i > max || !ackedSet[i]:
			v.Extra++
		case seen[i]:
			v.Dupes++
		default:
			seen[i] = true
		}
	}
	if err := rows.Err(); err != nil {
		return VerifyResult{}, fmt.Errorf("verify: %w", err)
	}
	for i, a := range ackedSet {
		if a && !seen[i] {
			v.Lost++
		}
	}
	return v, nil
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// writeAcked writes ranges as "first n" lines.
func writeAcked(path string, rs []Range) error {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%d %d\n", r.First, r.N)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// readAcked reads the file of writeAcked.
func readAcked(path string) ([]Range, error) {
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
		if !ok || err1 != nil || err2 != nil || first < 1 || n < 1 || first > 1<<40 || n > 1<<20 {
			return nil, fmt.Errorf("%s:%d: want \"first n\", got %q", path, line, sc.Text())
		}
		out = append(out, Range{first, n})
	}
	return out, sc.Err()
}
