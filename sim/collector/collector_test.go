package collector

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/admin"
	"github.com/otasim/otasim/sim/results"
)

func testCollector(t *testing.T, shards int) (*Collector, *httptest.Server, Registration) {
	t.Helper()
	sc := &scenarios.Scenario{Name: "c", Timeline: []scenarios.Step{{}}}
	want := Registration{Count: shards, Scenario: "c", ScenarioHash: "h", Seed: 1, Devices: 10, Speed: 60, DurationS: 1}
	col, err := New(Config{Scenario: sc, Want: want, RunID: "r", Lead: time.Millisecond, RegisterTimeout: time.Minute, Grace: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(col.Handler())
	t.Cleanup(srv.Close)
	return col, srv, want
}

// Every shard gets the same start; a shard of another run, a shard
// registering twice and one after the start are refused; a step without
// an admin API is answered as refused (404), which the shards record
// skipped.
func TestRegistrationAndStart(t *testing.T) {
	col, srv, want := testCollector(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bad := want
	bad.Seed = 2
	if _, err := mustClient(t, srv.URL, 0).Register(ctx, bad); !isRefused(err) {
		t.Fatalf("a shard of another seed: %v, want refused", err)
	}
	runDone := make(chan error, 1)
	var merged *results.Run
	go func() {
		var err error
		merged, err = col.Run(ctx)
		runDone <- err
	}()
	var wg sync.WaitGroup
	starts := make([]Start, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := want
			r.Index = i
			st, err := mustClient(t, srv.URL, i).Register(ctx, r)
			if err != nil {
				t.Error(err)
			}
			starts[i] = st
		}()
	}
	wg.Wait()
	if starts[0].At.IsZero() || !starts[0].At.Equal(starts[1].At) || starts[0].RunID != "r" {
		t.Fatalf("starts %+v", starts)
	}
	late := want
	late.Index = 1
	if _, err := mustClient(t, srv.URL, 1).Register(ctx, late); !isRefused(err) {
		t.Errorf("a registration after the start: %v, want refused", err)
	}
	err := mustClient(t, srv.URL, 0).Step(ctx, 0, nil)
	if !admin.IsStatus(err, 404) {
		t.Errorf("step without an admin API: %v, want a 404 refusal", err)
	}
	// Both shards fail: the run ends with no results at all.
	for i := range 2 {
		if err := mustClient(t, srv.URL, i).Failed(ctx, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-runDone; err == nil {
		t.Errorf("a run whose every shard failed merged into %+v", merged.Summary.Shards)
	}
}

func TestFleetProgress(t *testing.T) {
	col, _, _ := testCollector(t, 2)
	col.last[0] = results.Progress{Devices: 5, Active: 4, Adoption: 0.5, Requests: 10, Bundle: "b",
		Totals: &results.Totals{Active: map[string]int64{"x": 4}, Running: map[string]map[string]int64{"x": {"b": 2}}}}
	col.last[1] = results.Progress{Devices: 5, Active: 1, Adoption: 1, Requests: 7, Bundle: "b",
		Totals: &results.Totals{Active: map[string]int64{"x": 1}, Running: map[string]map[string]int64{"x": {"b": 1}}}}
	p := col.Fleet(Start{At: time.Now(), Speed: 60})
	if p.Devices != 10 || p.Active != 5 || p.Requests != 17 || p.Adoption != 0.6 || p.AdoptionBySegment["x"] != 0.6 {
		t.Errorf("fleet %+v", p)
	}
}

func mustClient(t *testing.T, url string, i int) *Client {
	t.Helper()
	c, err := NewClient(url, i)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func isRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}
