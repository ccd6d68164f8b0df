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
	Rows, Acked int64
	Lost        int64 // acknowledged, not stored
	Dupes       int64 // stored more than once
	Unacked     int64 // stored once, not acknowledged (its reply was in flight at the end, or dropped on purpose)
}

// Summary is one line for the benchmark's log.
func (v VerifyResult) Summary() string {
	return fmt.Sprintf("VERIFY rows=%d acked=%d lost=%d duplicates=%d stored_unacked=%d", v.Rows, v.Acked, v.Lost, v.Dupes, v.Unacked)
}

// Verify reads the events of a stopped server's database and checks each
// acknowledged one is stored once, and no event more than once.
func Verify(ctx context.Context, dbPath string, acked []Range) (VerifyResult, error) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return VerifyResult{}, err
	}
	if _, err := os.Stat(abs); err != nil {
		return VerifyResult{}, fmt.Errorf("verify: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+abs+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verify: %w", err)
	}
	defer db.Close()
	var v VerifyResult
	isAcked := map[int64]bool{}
	for _, r := range acked {
		for i := r.First; i < r.First+r.N; i++ {
			isAcked[i] = true
		}
		v.Acked += r.N
	}
	rows, err := db.QueryContext(ctx, `SELECT timestamp - ?, COUNT(*) FROM stats_events WHERE timestamp > ? GROUP BY timestamp`, TimestampBase, TimestampBase)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	stored := map[int64]bool{}
	for rows.Next() {
		var i, n int64
		if err := rows.Scan(&i, &n); err != nil {
			return VerifyResult{}, fmt.Errorf("verify: %w", err)
		}
		v.Rows += n
		stored[i] = true
		if n > 1 {
			v.Dupes += n - 1
		}
		if !isAcked[i] {
			v.Unacked++
		}
	}
	if err := rows.Err(); err != nil {
		return VerifyResult{}, fmt.Errorf("verify: %w", err)
	}
	for i := range isAcked {
		if !stored[i] {
			v.Lost++
		}
	}
	return v, nil
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
		if !ok || err1 != nil || err2 != nil || first < 1 || n < 1 || n > 200 {
			return nil, fmt.Errorf("%s:%d: want \"first n\", got %q", path, line, sc.Text())
		}
		out = append(out, Range{first, n})
	}
	return out, sc.Err()
}
