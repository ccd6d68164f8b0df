package html

import (
	"fmt"

	"github.com/otasim/otasim/sim/results"
)

// throughputCharts: requests/s over time; failures and downloads per
// interval; active devices per segment.
func throughputCharts(run *results.Run, o Options) []*Section {
	ser := &run.Series
	mp := o.maxPoints()
	rps := newTimeLine("throughput", "requests/s", nil)
	rps.AddSeries("requests/s", timePoints(ser.T, len(ser.RequestsPerS), func(k int) float64 { return ser.RequestsPerS[k] }, mp), lineSeriesOpts())
	lag := ser.ScheduleLagP99Ms
	ev := newTimeLine("events", "per interval", nil)
	ev.AddSeries("failures", timePoints(ser.T, len(ser.Failures), func(k int) float64 { return float64(ser.Failures[k]) }, mp), lineSeriesOpts())
	ev.AddSeries("downloads", timePoints(ser.T, len(ser.Downloads), func(k int) float64 { return float64(ser.Downloads[k]) }, mp), lineSeriesOpts())
	ev.AddSeries("schedule lag p99 (ms)", timePoints(ser.T, len(lag), func(k int) float64 { return lag[k] }, mp), lineSeriesOpts())
	act := newTimeLine("active", "active devices", nil)
	act.AddSeries("fleet", timePoints(ser.T, len(ser.Active), func(k int) float64 { return float64(ser.Active[k]) }, mp), lineSeriesOpts())
	for _, co := range sortedKeys(ser.ActiveByCohort) {
		col := ser.ActiveByCohort[co]
		act.AddSeries(co, timePoints(ser.T, len(col), func(k int) float64 { return float64(col[k]) }, mp), lineSeriesOpts())
	}
	h := &run.Summary.Harness
	return []*Section{
		{ID: "throughput", Title: "Requests per second", chart: rps,
			Note: fmt.Sprintf("Requests sent per wall-clock second, per %s of virtual time. Whole run: %d requests, peak %d in flight.",
				virtualSpan(ser.SampleEveryS), h.Requests, h.PeakInFlight)},
		{ID: "events", Title: "Failures, downloads and generator lag", chart: ev,
			Note: "Failed requests and bundle downloads per interval, and the load generator's schedule lag p99 (ms): a high lag means the generator, not the server, fell behind."},
		{ID: "active", Title: "Active devices", chart: act,
			Note: "Devices with a session in the last 24 virtual hours, in the fleet and per segment."},
	}
}
