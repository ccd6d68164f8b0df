package remotewrite_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otasim/otasim/reports/internal/promtest"
	"github.com/otasim/otasim/reports/internal/realrun"
	"github.com/otasim/otasim/sim/results"
)

// TestRealPrometheus: a real ci-smoke run pushes its series to a real
// Prometheus by remote write while it runs and once at its end; PromQL
// through Prometheus' HTTP API then gives the run's request count as
// summary.json has it, and every query of the Grafana dashboard gives
// data.
func TestRealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run with Prometheus: not in -short")
	}
	prom := promtest.Start(t)
	dir, res := realrun.CISmoke(t, nil, "--no-history", "--out", "prometheus-rw="+prom.WriteURL(),
		"--remote-write-interval", "1s")
	run, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &run.Summary
	sel := fmt.Sprintf(`{run_id=%q, scenario="ci-smoke", shard="all"}`, s.RunID)
	want := float64(s.Harness.Requests)
	if got, ok := prom.Eventually(t, "sum(otasim_requests_total"+sel+")", want, time.Minute); !ok {
		t.Fatalf("Prometheus holds %v requests of run %s, summary.json %v\notasim:\n%s\nprometheus:\n%s",
			got, s.RunID, want, res.Output, prom.Output())
	}
	for ep, e := range s.API {
		q := fmt.Sprintf(`sum(otasim_requests_total{run_id=%q, endpoint=%q})`, s.RunID, ep)
		if got, _ := prom.Scalar(t, q); got != float64(e.Count) {
			t.Errorf("%s: %v, summary %d", q, got, e.Count)
		}
	}
	if got, _ := prom.Scalar(t, "otasim_run_finished"+sel); got != 1 {
		t.Errorf("run_finished %v", got)
	}
	// Pushed during the run, not only at its end.
	m := regexp.MustCompile(`remote write: (\d+) samples in (\d+) pushes`).FindStringSubmatch(res.Output)
	if m == nil {
		t.Fatalf("no remote-write line:\n%s", res.Output)
	}
	if pushes, _ := strconv.Atoi(m[2]); pushes < 3 {
		t.Errorf("%s pushes, want a few during the run and one at the end", m[2])
	}
	q := fmt.Sprintf(`count_over_time(otasim_virtual_time_seconds{run_id=%q}[1h])`, s.RunID)
	if n, _ := prom.Scalar(t, q); n < 3 {
		t.Errorf("%s = %v: want a sample from each push", q, n)
	}
	if got, _ := prom.Scalar(t, fmt.Sprintf(`sum(otasim_remote_write_samples_total{run_id=%q, result=~"dropped|failed"})`, s.RunID)); got != 0 {
		t.Errorf("%v samples lost", got)
	}
	dash := filepath.Join(realrun.ModuleRoot(t), "docs", "grafana", "otasim.json")
	t.Run("dashboard", func(t *testing.T) { checkDashboard(t, prom, s.RunID, s.Adoption.Bundle, dash) })
	t.Run("drawn", func(t *testing.T) { drawDashboard(t, prom, s.RunID, s.Adoption.Bundle, dash, s.WallSeconds) })
}

// A receiver that refuses every push costs the run nothing but its
// samples: the run ends as usual, and the samples lost are counted on
// the terminal and in summary.json's warnings.
func TestRefusingReceiver(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run: not in -short")
	}
	var pushes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pushes.Add(1)
		http.Error(w, "out of order sample", http.StatusBadRequest) // not retried
	}))
	defer srv.Close()
	dir, res := realrun.CISmoke(t, nil, "--no-history", "--out", "prometheus-rw="+srv.URL+"/api/v1/write",
		"--remote-write-interval", "1s")
	run, err := results.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := pushes.Load(); n < 3 {
		t.Errorf("%d pushes reached the receiver, want a few", n)
	}
	if !slices.ContainsFunc(run.Summary.Warnings, func(w string) bool {
		return strings.Contains(w, "remote write to "+srv.URL) && strings.Contains(w, "not accepted") && strings.Contains(w, "400")
	}) {
		t.Errorf("no warning of the lost samples: %q", run.Summary.Warnings)
	}
	if !regexp.MustCompile(`remote write: 0 samples in 0 pushes to \S+; 0 dropped, \d+ failed`).MatchString(res.Output) {
		t.Errorf("no count of the failed samples:\n%s", res.Output)
	}
}
