package refserver

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/live"
)

// TestStoredStateIsBounded: long texts the backend's schema lets through
// are answered as the backend answers them, and kept cut; a device table
// full of active devices keeps no more; a batch past the event limit is
// refused before it is decoded.
func TestStoredStateIsBounded(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxDevices = 64 })
	long := strings.Repeat("x", 60<<10)
	for i := range 200 {
		in := deviceInfo(uuid(i))
		in.VersionName = long
		if st, rep := updates(t, ts, in); st != 200 || rep.Version != "1.1.0" {
			t.Fatalf("long version_name: %d %+v", st, rep)
		}
	}
	if kept, untracked := ts.state.DeviceCounts(); kept > 64 || untracked == 0 {
		t.Fatalf("kept %d devices (bound 64), %d untracked", kept, untracked)
	}
	if d, ok := ts.state.Device(DemoAppID, uuid(0)); !ok || len(d.Version) > live.MaxStoredText {
		t.Fatalf("device 0: kept %v, version of %d bytes", ok, len(d.Version))
	}
	e := event(uuid(1), "app_moved_to_foreground", "1.1.0", long)
	e.Platform = long
	if st, raw := do(t, "POST", ts.URL+"/stats", e); st != 200 {
		t.Fatalf("long event: %d %s", st, raw)
	}
	batch := make([]protocol.StatsEvent, MaxStatsEvents+1)
	for i := range batch {
		batch[i] = event(uuid(1), "app_moved_to_foreground", "1.1.0", "")
	}
	if st, raw := do(t, "POST", ts.URL+"/stats", batch); st != 413 || checkErrorShape(t, raw).Error != protocol.CodeBodyTooLarge {
		t.Fatalf("a batch of %d events: %d %s", len(batch), st, raw)
	}
	ts.stop()
	db, err := sql.Open("sqlite", "file:"+ts.DB+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`SELECT COALESCE(MAX(LENGTH(version_name)), 0) FROM devices`,
		`SELECT COALESCE(MAX(MAX(LENGTH(old_version_name), LENGTH(platform))), 0) FROM stats_events`,
	} {
		var n int
		if err := db.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > live.MaxStoredText {
			t.Errorf("%s: %d", q, n)
		}
	}
	var rows int
	db.QueryRow(`SELECT COUNT(*) FROM devices`).Scan(&rows)
	if rows > 64 {
		t.Errorf("%d device rows, the bound is 64", rows)
	}
}
