package html

import (
	"fmt"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/otasim/otasim/sim/results"
)

// rollbackChart: devices still running the rolled-back bundle over
// virtual time, the rollback (and each guard trip) as markers.
func rollbackChart(run *results.Run, o Options) *Section {
	rb, ser := &run.Summary.Rollback, &run.Series
	c := newTimeLine("rollback", "devices on the bad bundle", nil)
	so := []charts.SeriesOpts{lineSeriesOpts(), charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.2)})}
	var marks []opts.MarkLineNameXAxisItem
	if rb.Happened {
		marks = append(marks, opts.MarkLineNameXAxisItem{Name: "rollback (" + rb.Trigger + ")", XAxis: round(rb.AtS / 3600)})
	}
	for _, g := range rb.GuardTrips {
		marks = append(marks, opts.MarkLineNameXAxisItem{Name: "guard: " + g.Detail, XAxis: round(g.AtS / 3600)})
	}
	if len(marks) > 0 {
		so = append(so, charts.WithMarkLineNameXAxisItemOpts(marks...),
			charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
				Label: &opts.Label{Show: opts.Bool(true), Formatter: "{b}", Position: "insideEndTop", FontSize: 10}, LineStyle: &opts.LineStyle{Type: "dashed", Color: "#b3261e"}}))
	}
	exp := ser.RollbackExposure
	c.AddSeries("exposed devices", timePoints(ser.T, len(exp), func(k int) float64 { return float64(exp[k]) }, o.maxPoints()), so...)
	if rb.Happened && rb.Exposed > 0 {
		// The share of exposed devices back on another bundle, on a second
		// axis: 1 − still exposed / exposed, from the rollback on.
		c.ExtendYAxis(opts.YAxis{Type: "value", Name: "share back", Min: 0, Max: 1})
		c.AddSeries("share reverted", timePoints(ser.T, len(exp), func(k int) float64 {
			if ser.T[k] < rb.AtS {
				return nanValueOf()
			}
			return max(0, 1-float64(exp[k])/float64(rb.Exposed))
		}, o.maxPoints()), lineSeriesOpts(), charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1, ShowSymbol: opts.Bool(false), Symbol: "none"}))
	}
	note := "No rollback in this run: the line stays at zero."
	if rb.Happened {
		back := "95% were not back by the end"
		if rb.TimeTo95BackS != nil {
			back = "95% were back after " + seconds(*rb.TimeTo95BackS)
		}
		note = fmt.Sprintf("%s rolled back at %s (%s): %d devices exposed, %d failed launches; %s, %s back at the end.",
			rb.Bundle, seconds(rb.AtS), rb.Trigger, rb.Exposed, rb.FailedLaunches, back, pct(rb.FinalBackShare))
	}
	return &Section{ID: "rollback", Title: "Rollback", Note: note, chart: c}
}
