package html

import (
	"fmt"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/otasim/otasim/sim/results"
)

// targetShare reads the share the adoption target asks for from its
// metric ("adoption.time_to_95_s" → 0.95); 0.95 when there is none.
func targetShare(s *results.Summary) float64 {
	for _, t := range s.Targets {
		var pct int
		if _, err := fmt.Sscanf(t.Metric, "adoption.time_to_%d_s", &pct); err == nil && pct > 0 && pct <= 100 {
			return float64(pct) / 100
		}
	}
	return 0.95
}

// timelineMarks are the timeline's actions as vertical markers (virtual
// hours), labelled by action.
func timelineMarks(s *results.Summary) []opts.MarkLineNameXAxisItem {
	var out []opts.MarkLineNameXAxisItem
	for _, a := range s.Timeline {
		out = append(out, opts.MarkLineNameXAxisItem{Name: a.Action + ": " + a.Detail, XAxis: round(a.AtS / 3600)})
	}
	return out
}

// adoptionChart: the judged bundle's share of active devices per segment
// over virtual time, the timeline's actions as markers, the target share
// as a line.
func adoptionChart(run *results.Run, o Options) *Section {
	s, ser := &run.Summary, &run.Series
	bundle := s.Adoption.Bundle
	share := targetShare(s)
	c := newTimeLine("adoption", "share of active devices", 1)
	cohorts := withFirst(sortedKeys(ser.Adoption), "all")
	for i, co := range cohorts {
		col := ser.Adoption[co][bundle]
		name := co
		if co == "all" {
			name = "fleet"
		}
		so := []charts.SeriesOpts{lineSeriesOpts()}
		if i == 0 {
			so = append(so,
				charts.WithLineStyleOpts(opts.LineStyle{Width: 3}),
				charts.WithMarkLineNameXAxisItemOpts(timelineMarks(s)...),
				charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{
					Name: fmt.Sprintf("target %s", pct(share)), YAxis: share}),
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
					Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop", FontSize: 10},
					LineStyle: &opts.LineStyle{Type: "dashed", Color: "#888"}}),
			)
		}
		c.AddSeries(name, timePoints(ser.T, len(col), func(k int) float64 { return col[k] }, o.maxPoints()), so...)
	}
	note := fmt.Sprintf("Share of active devices (a session in the last 24 virtual hours) running %s, per segment. Dashed: timeline actions and the %s target.",
		orDash(bundle), pct(share))
	if bundle == "" {
		note = "The run judged no bundle: no adoption to draw."
	}
	return &Section{ID: "adoption", Title: "Adoption of " + orDash(bundle), Note: note, chart: c}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
