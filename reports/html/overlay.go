package html

import (
	"strings"

	"github.com/otasim/otasim/sim/results"
)

// Labelled is a run with the name a comparison gives it ("A", an id).
type Labelled struct {
	Label string
	Run   *results.Run
}

// AddOverlays appends the comparison charts: each curve of every run drawn
// on the same axes (adoption of the judged bundle, /updates p95, requests
// per second, rollback exposure, the /updates latency distribution).
func (d *Document) AddOverlays(runs ...Labelled) {
	mp := d.opts.maxPoints()
	adoption := newShareLine("cmp_adoption", "% of active devices")
	p95 := newTimeLine("cmp_updates_p95", "ms", nil)
	rps := newTimeLine("cmp_throughput", "requests/s", nil)
	rb := newTimeLine("cmp_rollback", "devices on the bad bundle", nil)
	dist := newPercentileChart("cmp_latency_hdr", "ms")
	for _, lr := range runs {
		ser, s := &lr.Run.Series, &lr.Run.Summary
		col := ser.Adoption["all"][s.Adoption.Bundle]
		adoption.AddSeries(lr.Label+" "+orDash(s.Adoption.Bundle), timePoints(ser.T, len(col), func(k int) float64 { return 100 * col[k] }, mp), lineSeriesOpts())
		l := ser.API["updates"]
		p95.AddSeries(lr.Label, timePoints(ser.T, len(l.P95), func(k int) float64 {
			if k < len(l.Count) && l.Count[k] == 0 {
				return nanValueOf()
			}
			return l.P95[k]
		}, mp), lineSeriesOpts())
		rps.AddSeries(lr.Label, timePoints(ser.T, len(ser.RequestsPerS), func(k int) float64 { return ser.RequestsPerS[k] }, mp), lineSeriesOpts())
		exp := ser.RollbackExposure
		rb.AddSeries(lr.Label, timePoints(ser.T, len(exp), func(k int) float64 { return float64(exp[k]) }, mp), lineSeriesOpts())
		if h, ok := lr.Run.Histograms.Histograms["api.updates.latency"]; ok {
			if dec, err := h.Decode(); err == nil {
				dist.AddSeries(lr.Label, lineData(downsample(percentileCurve(dec, h.Unit), mp)), lineSeriesOpts())
			}
		}
	}
	var labels []string
	for _, lr := range runs {
		labels = append(labels, lr.Label)
	}
	who := strings.Join(labels, " and ")
	for _, s := range []*Section{
		{ID: "cmp_adoption", Title: "Adoption, overlaid", Note: "Fleet share of active devices on each run's judged bundle: " + who + ".", chart: adoption},
		{ID: "cmp_updates_p95", Title: "/updates p95 latency, overlaid", Note: "Per sampling interval, from the intended send time.", chart: p95},
		{ID: "cmp_latency_hdr", Title: "/updates latency distribution, overlaid", Note: "Whole-run HDR percentiles; x is 1/(1−p) on a log scale.", chart: dist},
		{ID: "cmp_throughput", Title: "Requests per second, overlaid", chart: rps},
		{ID: "cmp_rollback", Title: "Rollback exposure, overlaid", Note: "Devices still on a rolled-back bundle (zero when a run had no rollback).", chart: rb},
	} {
		d.addChart(s)
	}
}
