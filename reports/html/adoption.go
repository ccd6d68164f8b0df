package html

import (
	"fmt"
	"strings"

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
// hours), labelled by action; actions at the same time share one marker
// whose label names each action, so labels never overprint each other.
// A label is at most markLabelRunes long, so that it fits the plot's
// height (the timeline table under the charts has every detail).
func timelineMarks(s *results.Summary) []opts.MarkLineNameXAxisItem {
	var out []opts.MarkLineNameXAxisItem
	var actions [][]results.ActionResult
	for _, a := range s.Timeline {
		x := round(a.AtS / 3600)
		if n := len(out); n > 0 && out[n-1].XAxis == x {
			actions[n-1] = append(actions[n-1], a)
			continue
		}
		out = append(out, opts.MarkLineNameXAxisItem{XAxis: x})
		actions = append(actions, []results.ActionResult{a})
	}
	for i, as := range actions {
		name := as[0].Action + ": " + as[0].Detail
		if len(as) > 1 {
			var names []string
			for _, a := range as {
				names = append(names, a.Action)
			}
			name = strings.Join(names, " · ")
		}
		if r := []rune(name); len(r) > markLabelRunes {
			name = string(r[:markLabelRunes-1]) + "…"
		}
		out[i].Name = name
	}
	return out
}

// markLabelRunes bounds a marker's label (about 6 px a character at the
// labels' 10 px font, in a plot 270 px high).
const markLabelRunes = 40

// adoptionChart: the judged bundle's share of active devices per segment
// over virtual time, the timeline's actions as markers, the target share
// as a line.
func adoptionChart(run *results.Run, o Options) *Section {
	s, ser := &run.Summary, &run.Series
	bundle := s.Adoption.Bundle
	share := targetShare(s)
	c := newShareLine("adoption", "% of active devices")
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
					Name: fmt.Sprintf("target %s", pct(share)), YAxis: round(100 * share)}),
				// Labels on the right of their line (insideEndBottom):
				// an action at the start stays clear of the y axis.
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
					Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndBottom", FontSize: 10},
					LineStyle: &opts.LineStyle{Type: "dashed", Color: "#888"}}),
			)
		}
		c.AddSeries(name, timePoints(ser.T, len(col), func(k int) float64 { return 100 * col[k] }, o.maxPoints()), so...)
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
