package html

import (
	"fmt"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/otasim/otasim/sim/results"
)

// loadCharts: for a load run (summary.load), the requests per second the
// profile intended beside those sent, and the latency percentiles from
// the intended time beside the service time. Nothing for a rollout run.
func loadCharts(run *results.Run, o Options) []*Section {
	l := run.Summary.Load
	if l == nil {
		return nil
	}
	open := l.Profile != "max" // max has no schedule: nothing is intended
	rps := charts.NewLine()
	rps.SetGlobalOptions(globals("load_rps")...)
	rps.SetGlobalOptions(
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "seconds of the run", NameLocation: "middle", NameGap: 28, Min: 0}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "requests/s"}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside", XAxisIndex: []int{0}}),
	)
	perSec := func(v func(s results.LoadSecond) int64) []opts.LineData {
		ps := make([]point, len(l.PerSecond))
		for i, s := range l.PerSecond {
			ps[i] = point{float64(i), float64(v(s))}
		}
		return lineData(downsample(ps, o.maxPoints()))
	}
	if open {
		rps.AddSeries("intended", perSec(func(s results.LoadSecond) int64 { return s.Due }), lineSeriesOpts())
	}
	rps.AddSeries("achieved", perSec(func(s results.LoadSecond) int64 { return s.Sent }), lineSeriesOpts())

	qs := []string{"p50", "p90", "p95", "p99", "max"}
	of := func(q results.Quantiles) []float64 { return []float64{q.P50, q.P90, q.P95, q.P99, q.Max} }
	lat := newCategoryBar("load_latency", "ms", qs)
	lat.AddSeries("from the intended time", barData(of(l.LatencyMs)))
	lat.AddSeries("service time", barData(of(l.ServiceMs)))
	if open {
		lat.AddSeries("schedule lag", barData(of(l.ScheduleLagMs)))
	}

	rpsNote := fmt.Sprintf("Requests sent in each second of the %s profile (%d workers)", l.Profile, l.Workers)
	if open {
		rpsNote += fmt.Sprintf(", beside those its schedule made due. Whole run: %.0f/s intended, %.0f/s achieved; %d late, %d dropped, %d unsent.",
			l.IntendedRPS, l.AchievedRPS, l.Late, l.Dropped, l.Unsent)
	} else {
		rpsNote += fmt.Sprintf(", back to back. Whole run: %.0f/s achieved.", l.AchievedRPS)
	}
	if l.Saturated {
		rpsNote += " The generator was saturated: its latencies include its own delay."
	}
	latNote := fmt.Sprintf("Latency of the %d checks sent: from the intended send time (coordinated-omission safe), and the service time from the actual send", l.Sent)
	if open {
		latNote += "; the schedule lag is how late the generator sent them."
	} else {
		latNote += " (the same for max, whose intended time is the send)."
	}
	return []*Section{
		{ID: "load_rps", Title: "Load: requests per second, intended and achieved", Note: rpsNote, chart: rps},
		{ID: "load_latency", Title: "Load: latency from the intended time and service time", Note: latNote, chart: lat},
	}
}
