package html

import (
	"fmt"

	"github.com/go-echarts/go-echarts/v2/charts"

	"github.com/otasim/otasim/sim/results"
)

// successCharts: installs and failures (by action) per segment and per
// bundle, stacked.
func successCharts(run *results.Run) []*Section {
	sr := &run.Summary.SuccessRate
	return []*Section{
		successBars("success_segments", "Update success per segment", sr.BySegment,
			fmt.Sprintf("Attempts are devices that started a download; a success ran the bundle and called notifyAppReady. Whole run: %d attempts, %s succeeded (95%% interval %s–%s), %d still in progress at the end.",
				sr.Attempts, pct(sr.Overall), pct(sr.Interval[0]), pct(sr.Interval[1]), sr.InProgress)),
		successBars("success_bundles", "Update success per bundle", sr.ByBundle,
			"The same counts per bundle, failures split by the stats action the plugin sent."),
	}
}

func successBars(id, title string, m map[string]results.SuccessCount, note string) *Section {
	cats := sortedKeys(m)
	actions := map[string]bool{}
	for _, c := range m {
		for a := range c.Failures {
			actions[a] = true
		}
	}
	bar := newCategoryBar(id, "devices", cats)
	stack := charts.WithBarChartOpts(optsStack())
	add := func(name string, get func(c results.SuccessCount) float64) {
		vs := make([]float64, len(cats))
		for i, k := range cats {
			vs[i] = get(m[k])
		}
		bar.AddSeries(name, barData(vs), stack)
	}
	add("installed", func(c results.SuccessCount) float64 { return float64(c.Successes) })
	for _, a := range sortedKeys(actions) {
		add(a, func(c results.SuccessCount) float64 { return float64(c.Failures[a]) })
	}
	add("in progress", func(c results.SuccessCount) float64 { return float64(c.InProgress) })
	if len(cats) == 0 {
		note = "No update was attempted in this run."
	}
	return &Section{ID: id, Title: title, Note: note, chart: bar}
}
