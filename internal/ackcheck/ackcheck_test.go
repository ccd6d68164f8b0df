package ackcheck

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

func TestReadRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acked.txt")
	if err := Write(path, nil); err != nil {
		t.Fatal(err)
	}
	if rs, err := Read(path); err != nil || len(rs) != 0 {
		t.Fatalf("empty file: %v %v", rs, err)
	}
	if err := Write(path, []Range{{First: 1, N: 3}, {First: 10, N: 1}}); err != nil {
		t.Fatal(err)
	}
	if rs, err := Read(path); err != nil || len(rs) != 2 || rs[1] != (Range{First: 10, N: 1}) {
		t.Fatalf("read back: %v %v", rs, err)
	}
	for _, bad := range []string{"1\n", "a b\n", "0 5\n", "5 -1\n", "5 2000000\n"} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestVerify counts lost, duplicated and unacknowledged events in a real
// SQLite file holding the server's stats_events column it reads.
func TestVerify(t *testing.T) {
	const base = 1000
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE stats_events (timestamp INTEGER)`); err != nil {
		t.Fatal(err)
	}
	// Sequence numbers 1, 2, 2 (a duplicate), 5 (never acknowledged) and
	// an event of another run (timestamp 7, under the base).
	for _, ts := range []int64{base + 1, base + 2, base + 2, base + 5, 7} {
		if _, err := db.Exec(`INSERT INTO stats_events VALUES (?)`, ts); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	// Acknowledged: 1 to 3 (3 lost).
	got, err := Verify(context.Background(), path, base, []Range{{First: 1, N: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Rows: 4, Acked: 3, Lost: 1, Dupes: 1, Unacked: 1}); got != want {
		t.Fatalf("%s, want %s", got.Summary(), want.Summary())
	}
	if _, err := Verify(context.Background(), filepath.Join(t.TempDir(), "none.db"), base, nil); err == nil {
		t.Fatal("a missing database verified")
	}
}
