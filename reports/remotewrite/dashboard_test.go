package remotewrite_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/otasim/otasim/reports/internal/promtest"
	"github.com/otasim/otasim/reports/prom"
)

// dashboard is the part of a Grafana dashboard's JSON model the check
// reads.
type dashboard struct {
	Title         string  `json:"title"`
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	GridPos    struct{ X, Y, W, H int } `json:"gridPos"`
	Datasource *source                  `json:"datasource"`
	Targets    []struct {
		RefID        string  `json:"refId"`
		Expr         string  `json:"expr"`
		LegendFormat string  `json:"legendFormat"`
		Datasource   *source `json:"datasource"`
	} `json:"targets"`
}

type source struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// dashboardVars are what Grafana would put for the dashboard's variables
// in a query of the run just pushed.
func dashboardVars(runID, bundle string) *strings.Replacer {
	return strings.NewReplacer("$run_id", regexp.QuoteMeta(runID), "$bundle", bundle,
		"$__rate_interval", "5s") // 5 pushes at --remote-write-interval 1s
}

// checkDashboard validates the Grafana dashboard's structure, and runs
// every query of every panel, as Grafana would over the run's time range,
// against the Prometheus that holds the run: each must parse, name only
// series the exporter serves, and give series, and each panel numbers.
func checkDashboard(t *testing.T, srv *promtest.Server, runID, bundle, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if d.Title == "" || d.UID == "" || d.SchemaVersion < 30 || len(d.Panels) == 0 {
		t.Fatalf("dashboard header: title %q uid %q schemaVersion %d, %d panels", d.Title, d.UID, d.SchemaVersion, len(d.Panels))
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Definition != "" {
			// label_values(SERIES, LABEL): the series must give the label.
			m := regexp.MustCompile(`^label_values\((.+), (\w+)\)$`).FindStringSubmatch(v.Definition)
			if m == nil {
				t.Errorf("variable %s: definition %q", v.Name, v.Definition)
				continue
			}
			vec := srv.Query(t, dashboardVars(runID, bundle).Replace(m[1]))
			if len(vec) == 0 || vec[0].Metric[model.LabelName(m[2])] == "" {
				t.Errorf("variable %s: %s gives no %s", v.Name, m[1], m[2])
			}
		}
	}
	for _, want := range []string{"datasource", "run_id", "bundle"} {
		if vars[want] == "" {
			t.Errorf("no variable %s", want)
		}
	}
	known := map[string]bool{}
	for _, s := range prom.Catalogue() {
		known[s.Name] = true
		if s.Kind == "histogram" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				known[s.Name+suffix] = true
			}
		}
	}
	ids := map[int]bool{}
	end := time.Now()
	r := v1.Range{Start: end.Add(-10 * time.Minute), End: end, Step: time.Second}
	queries := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v outside the 24 columns", p.Title, g)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %+v, %d queries", p.Title, p.Datasource, len(p.Targets))
		}
		// Each query gives series; at least one a number (a quantile of
		// a histogram the run left empty, such as the CDN per 5 MB of a
		// bundle under a megabyte, is NaN).
		drawn := false
		for _, q := range p.Targets {
			queries++
			for _, name := range regexp.MustCompile(`\b(otasim_\w+|process_\w+)\{`).FindAllStringSubmatch(q.Expr, -1) {
				if !known[name[1]] && !strings.HasPrefix(name[1], "process_") {
					t.Errorf("panel %q: %s is not a series of the exporter", p.Title, name[1])
				}
			}
			expr := dashboardVars(runID, bundle).Replace(q.Expr)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			v, _, _, err := srv.API.QueryRange(ctx, expr, r)
			cancel()
			if err != nil {
				t.Errorf("panel %q query %s: %v", p.Title, expr, err)
				continue
			}
			m, ok := v.(model.Matrix)
			if !ok || len(m) == 0 {
				t.Errorf("panel %q query %s: no series", p.Title, expr)
			}
			drawn = drawn || hasNumber(m)
			// A legend's {{label}} must be a label of the query's series.
			for _, l := range regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`).FindAllStringSubmatch(q.LegendFormat, -1) {
				for _, series := range m {
					if _, ok := series.Metric[model.LabelName(l[1])]; !ok {
						t.Errorf("panel %q query %s: legend %q names %s, which its series %v lack", p.Title, q.RefID, q.LegendFormat, l[1], series.Metric)
						break
					}
				}
			}
		}
		if !drawn {
			t.Errorf("panel %q: none of its queries gives a number", p.Title)
		}
	}
	t.Logf("%d panels, %d queries checked against Prometheus", len(d.Panels), queries)
}

// hasNumber reports whether a matrix holds a sample that is a number.
func hasNumber(m model.Matrix) bool {
	for _, s := range m {
		for _, p := range s.Values {
			if !math.IsNaN(float64(p.Value)) {
				return true
			}
		}
	}
	return false
}
