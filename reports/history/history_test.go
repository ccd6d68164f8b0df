package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/reports/internal/fixture"
	"github.com/otasim/otasim/sim/results"
)

func newDB(t *testing.T) *DB {
	t.Helper()
	d, err := Create(context.Background(), filepath.Join(t.TempDir(), "sub", "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	d.SetClock(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })
	t.Cleanup(func() { d.Close() })
	return d
}

func TestRecordLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := newDB(t)
	in := fixture.Run(fixture.Params{Seed: 1, Rollback: true})
	in.Summary.Seed = 1<<63 + 5 // beyond int64
	if err := d.Record(ctx, in, Meta{ScenarioHash: "abc", Version: "v1.2.3", Folder: "runs/x"}); err != nil {
		t.Fatal(err)
	}
	out, e, err := d.Load(ctx, in.Summary.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Summary, out.Summary) {
		t.Error("summary differs after the round trip")
	}
	if !reflect.DeepEqual(in.Series, out.Series) {
		t.Error("series differ after the round trip")
	}
	if !reflect.DeepEqual(in.Histograms, out.Histograms) {
		t.Error("histograms differ after the round trip")
	}
	want := Entry{ID: in.Summary.RunID, Scenario: "fixture", ScenarioHash: "abc", Seed: 1<<63 + 5, Version: "v1.2.3",
		StartedAt: in.Summary.StartedAt, RecordedAt: "2026-01-02T03:04:05Z", Devices: 600, Verdict: in.Summary.Verdict, Pass: in.Summary.Pass,
		WallSeconds: 60.5, VirtualSeconds: 86400, Folder: "runs/x"}
	if e != want {
		t.Errorf("entry = %+v\nwant %+v", e, want)
	}
	// Recording again replaces.
	in.Summary.Devices = 7
	if err := d.Record(ctx, in, Meta{}); err != nil {
		t.Fatal(err)
	}
	list, err := d.List(ctx, Filter{})
	if err != nil || len(list) != 1 || list[0].Devices != 7 {
		t.Fatalf("after re-record: %+v, %v", list, err)
	}
}

// TestHistogramsMergeExactly: the histograms of two stored runs, merged,
// give the percentiles of one histogram fed every value.
func TestHistogramsMergeExactly(t *testing.T) {
	ctx := context.Background()
	d := newDB(t)
	whole := hdrhistogram.New(1, 3_600_000_000, 3)
	var ids []string
	for i := range 2 {
		h := hdrhistogram.New(1, 3_600_000_000, 3)
		for v := int64(1 + i); v < 2_000_000; v = v*11/10 + 3 {
			_ = h.RecordValue(v)
			_ = whole.RecordValue(v)
		}
		enc, err := results.Encode(h, "us")
		if err != nil {
			t.Fatal(err)
		}
		run := fixture.Run(fixture.Params{Seed: uint64(10 + i)})
		run.Histograms.Histograms["api.updates.latency"] = enc
		if err := d.Record(ctx, run, Meta{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.Summary.RunID)
	}
	var parts []results.Histogram
	for _, id := range ids {
		run, _, err := d.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, run.Histograms.Histograms["api.updates.latency"])
	}
	merged, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	if merged.TotalCount() != whole.TotalCount() {
		t.Fatalf("count %d, want %d", merged.TotalCount(), whole.TotalCount())
	}
	for _, q := range []float64{50, 90, 95, 99, 99.9, 100} {
		if got, want := merged.ValueAtQuantile(q), whole.ValueAtQuantile(q); got != want {
			t.Errorf("p%v = %d, want %d", q, got, want)
		}
	}
	if !merged.Equals(whole) {
		t.Error("merged histogram differs from the whole")
	}
	if _, err := Merge(parts[0], results.Histogram{Unit: "ms", Encoded: parts[1].Encoded}); err == nil {
		t.Error("merging units: want an error")
	}
	if _, err := Merge(); err == nil {
		t.Error("merging nothing: want an error")
	}
}

func TestListAndResolve(t *testing.T) {
	ctx := context.Background()
	d := newDB(t)
	for i, sc := range []string{"a", "b", "a"} {
		run := fixture.Run(fixture.Params{Seed: uint64(i), RunID: "2026010" + string(rune('1'+i)) + "T000000Z-run" + sc})
		run.Summary.Scenario = sc
		run.Summary.StartedAt = "2026-01-0" + string(rune('1'+i)) + "T00:00:00Z"
		run.Summary.Verdict = results.VerdictPass
		if err := d.Record(ctx, run, Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := d.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range all {
		ids = append(ids, e.ID)
	}
	if want := []string{"20260103T000000Z-runa", "20260102T000000Z-runb", "20260101T000000Z-runa"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("list = %v, want %v", ids, want)
	}
	if l, _ := d.List(ctx, Filter{Scenario: "b", Limit: 5}); len(l) != 1 {
		t.Errorf("filter: %d runs", len(l))
	}
	for _, tc := range []struct {
		ref, scenario, exclude, want, wantErr string
	}{
		{"latest", "", "", "20260103T000000Z-runa", ""},
		{"latest~1", "", "", "20260102T000000Z-runb", ""},
		{"latest~2", "", "", "20260101T000000Z-runa", ""},
		{"latest~3", "", "", "", "no such run"},
		{"latest~x", "", "", "", "latest~N"},
		{"latest", "a", "20260103T000000Z-runa", "20260101T000000Z-runa", ""},
		{"latest", "c", "", "", "no such earlier run of c"},
		{"20260102", "", "", "20260102T000000Z-runb", ""},
		{"20260102T000000Z-runb", "", "", "20260102T000000Z-runb", ""},
		{"2026", "", "", "", "ambiguous"},
		{"nope", "", "", "", "unknown run"},
		{"", "", "", "", "empty"},
	} {
		got, err := d.Resolve(ctx, tc.ref, Scope{Scenario: tc.scenario, Exclude: tc.exclude})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Resolve(%q): got %q, %v; want error %q", tc.ref, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
		}
	}
	// A baseline is the newest PASS: newer FAIL and INCONCLUSIVE (an
	// interrupted run) runs are passed over.
	for i, v := range []results.Verdict{results.VerdictFail, results.VerdictInconclusive} {
		run := fixture.Run(fixture.Params{Seed: 9, RunID: fmt.Sprintf("2026010%dT000000Z-%s", 8+i, v)})
		run.Summary.Scenario, run.Summary.StartedAt = "a", fmt.Sprintf("2026-01-0%dT00:00:00Z", 8+i)
		run.Summary.Verdict, run.Summary.Interrupted = v, v == results.VerdictInconclusive
		if err := d.Record(ctx, run, Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := d.Resolve(ctx, "latest", Scope{}); got != "20260109T000000Z-INCONCLUSIVE" {
		t.Errorf("latest = %s", got)
	}
	if got, _ := d.Resolve(ctx, "latest", Scope{Scenario: "a", Verdict: results.VerdictPass}); got != "20260103T000000Z-runa" {
		t.Errorf("latest PASS = %s", got)
	}
	if e, _ := d.Get(ctx, "20260108T000000Z-FAIL"); e.Verdict != results.VerdictFail || e.Pass {
		t.Errorf("a FAIL run is listed as %+v", e)
	}
	if _, _, err := d.Load(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("load unknown: %v", err)
	}
}

func TestBadDatabases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Missing.
	if _, err := Open(ctx, filepath.Join(dir, "missing.db")); !errors.Is(err, ErrNoHistory) {
		t.Errorf("missing: %v", err)
	}
	// Not a database.
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("this is not sqlite\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, junk); err == nil || !strings.Contains(err.Error(), "not a readable run history") {
		t.Errorf("corrupt: %v", err)
	}
	// A folder.
	if _, err := Open(ctx, dir); err == nil {
		t.Error("folder: want an error")
	}
	// A newer schema.
	p := filepath.Join(dir, "newer.db")
	d, err := Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES (99, 'x')`); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := Open(ctx, p); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("newer schema: %v", err)
	}
	// A stored summary of a newer schema.
	d = newDB(t)
	run := fixture.Run(fixture.Params{Seed: 3})
	run.Summary.Schema = "otasim.summary/v99"
	if err := d.Record(ctx, run, Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Load(ctx, run.Summary.RunID); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("newer summary: %v", err)
	}
	// A corrupt histogram is refused at record time, leaving nothing.
	run = fixture.Run(fixture.Params{Seed: 4})
	run.Histograms.Histograms["x"] = results.Histogram{Unit: "us", Encoded: "%%%"}
	if err := d.Record(ctx, run, Meta{}); err == nil {
		t.Error("corrupt histogram: want an error")
	}
	if _, err := d.Get(ctx, run.Summary.RunID); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused run was stored: %v", err)
	}
	if err := d.Record(ctx, &results.Run{}, Meta{}); err == nil {
		t.Error("run without id: want an error")
	}
}

func TestReopenKeepsRuns(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "runs.db")
	d, err := Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	run := fixture.Run(fixture.Params{Seed: 5})
	if err := d.Record(ctx, run, Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, _, err := d.Load(ctx, run.Summary.RunID); err != nil {
		t.Fatal(err)
	}
}

// FuzzResolve: any reference resolves to a stored id or fails with an
// error, never a panic or a wrong id.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"latest", "latest~1", "latest~-1", "latest~99999999999999999999", "2026", "'; DROP TABLE runs; --", "%", "_", ""} {
		f.Add(s)
	}
	ctx := context.Background()
	d, err := Create(ctx, filepath.Join(f.TempDir(), "runs.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer d.Close()
	ids := map[string]bool{}
	for i := range 3 {
		run := fixture.Run(fixture.Params{Seed: uint64(i)})
		if err := d.Record(ctx, run, Meta{}); err != nil {
			f.Fatal(err)
		}
		ids[run.Summary.RunID] = true
	}
	f.Fuzz(func(t *testing.T, ref string) {
		id, err := d.Resolve(ctx, ref, Scope{})
		if err == nil && !ids[id] {
			t.Fatalf("Resolve(%q) = %q, not a stored run", ref, id)
		}
		if n, _ := d.List(ctx, Filter{}); len(n) != 3 {
			t.Fatalf("the history changed: %d runs", len(n))
		}
	})
}

// A history recorded before verdicts were kept gets each run's verdict
// from its pass and interrupted columns; a baseline is then the newest of
// its PASS runs.
func TestMigrateVerdict(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(migrations()[0] + `; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
		INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	for i, r := range []struct {
		pass, interrupted int
	}{{1, 0}, {0, 0}, {1, 1}} {
		if _, err := db.Exec(`INSERT INTO runs VALUES (?, 'ci-smoke', '', '1', 'old', ?, '', 5, ?, ?, 1, 1, '', 'otasim.summary/v1', '{}', '{}')`,
			fmt.Sprintf("r%d", i), fmt.Sprintf("2026-01-0%dT00:00:00Z", i+1), r.pass, r.interrupted); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	list, err := d.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]results.Verdict{}
	for _, e := range list {
		got[e.ID] = e.Verdict
	}
	want := map[string]results.Verdict{"r0": results.VerdictPass, "r1": results.VerdictFail, "r2": results.VerdictInconclusive}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("verdicts %v, want %v", got, want)
	}
	if id, err := d.Resolve(ctx, "latest", Scope{Scenario: "ci-smoke", Verdict: results.VerdictPass}); err != nil || id != "r0" {
		t.Errorf("baseline %q, %v", id, err)
	}
}
