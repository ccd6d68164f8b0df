package html

import (
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/otasim/otasim/sim/results"
)

// engagementCharts: sessions, mean session duration and error rate per
// segment, one bar per bundle.
func engagementCharts(run *results.Run) []*Section {
	eng := run.Summary.Engagement
	cohorts := sortedKeys(eng)
	bundleSet := map[string]bool{}
	for _, m := range eng {
		for b := range m {
			bundleSet[b] = true
		}
	}
	bundles := sortedKeys(bundleSet)
	mk := func(id, title, yName, note string, get func(e results.Engagement) float64) *Section {
		bar := newCategoryBar(id, yName, cohorts)
		if strings.HasPrefix(yName, "%") {
			// A share, shown as a percentage.
			bar.SetGlobalOptions(charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName, Min: 0,
				AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}))
		}
		for _, b := range bundles {
			vs := make([]float64, len(cohorts))
			for i, co := range cohorts {
				if e, ok := eng[co][b]; ok {
					vs[i] = get(e)
				} else {
					vs[i] = nanValueOf()
				}
			}
			bar.AddSeries(b, barData(vs))
		}
		if len(cohorts) == 0 {
			note = "No session was recorded in this run."
		}
		return &Section{ID: id, Title: title, Note: note, chart: bar}
	}
	return []*Section{
		mk("engagement_sessions", "Sessions per segment and bundle", "sessions",
			"Sessions users started, per segment, one bar per bundle they ran.",
			func(e results.Engagement) float64 { return float64(e.Sessions) }),
		mk("engagement_duration", "Mean session duration", "seconds",
			"Mean session length in virtual seconds, per segment and bundle.",
			func(e results.Engagement) float64 { return e.MeanSessionS }),
		mk("engagement_errors", "Error rate", "% of sessions with a JS error",
			"Share of sessions with a JavaScript error, per segment and bundle: a bad bundle shows here first.",
			func(e results.Engagement) float64 { return 100 * e.ErrorRate }),
	}
}
