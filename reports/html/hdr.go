package html

import (
	"fmt"
	"math"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/otasim/otasim/sim/results"
)

// percentileStepsPerDecade is how finely the 1/(1-p) axis is sampled.
const percentileStepsPerDecade = 24

// percentileCurve samples h as HdrHistogram percentile plots are read: x
// is 1/(1-p) (1 at the median's left edge, 10 at p90, 100 at p99, ...), y
// the value at p in ms. It stops where the histogram has no more values
// to tell apart (1/(1-p) beyond the count) and ends at the maximum.
func percentileCurve(h *hdrhistogram.Histogram, unit string) []point {
	n := h.TotalCount()
	if n == 0 {
		return nil
	}
	scale := 1.0
	if unit == "us" {
		scale = 1e-3
	}
	var ps []point
	limit := math.Min(float64(n), 1e6)
	for k := 0; ; k++ {
		x := math.Pow(10, float64(k)/percentileStepsPerDecade)
		if x > limit {
			break
		}
		p := 100 * (1 - 1/x)
		ps = append(ps, point{x, float64(h.ValueAtQuantile(p)) * scale})
	}
	ps = append(ps, point{limit, float64(h.Max()) * scale})
	return ps
}

// percentileAxisLabel labels the 1/(1-p) log axis in percentiles.
// (Single quotes only: go-echarts embeds the function in a JSON string and
// would escape double quotes.)
const percentileAxisLabel = `function (v) {
  var m = {1: '0%', 10: '90%', 100: '99%', 1000: '99.9%', 10000: '99.99%', 100000: '99.999%', 1000000: '99.9999%'};
  return m[Math.round(v)] || '';
}`

// newPercentileChart is a line chart with the percentile log axis.
func newPercentileChart(id, yName string) *charts.Line {
	c := charts.NewLine()
	c.SetGlobalOptions(globals(id)...)
	c.SetGlobalOptions(
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "log", Name: "percentile", NameLocation: "middle", NameGap: 28, Min: 1,
			AxisLabel: &opts.AxisLabel{Show: opts.Bool(true), Formatter: opts.FuncOpts(percentileAxisLabel)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName}),
	)
	return c
}

// decodeAll decodes the histograms whose names pass keep, by name; a
// histogram that does not decode is reported, not drawn.
func decodeAll(hs results.Histograms, keep func(name string) (label string, ok bool)) (names []string, labels map[string]string, out map[string]*hdrhistogram.Histogram, errs []string) {
	labels, out = map[string]string{}, map[string]*hdrhistogram.Histogram{}
	for _, name := range sortedKeys(hs.Histograms) {
		label, ok := keep(name)
		if !ok {
			continue
		}
		h, err := hs.Histograms[name].Decode()
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		names = append(names, name)
		labels[name] = label
		out[name] = h
	}
	return names, labels, out, errs
}

// hdrChart: the whole run's latency distribution of each endpoint as an
// HDR percentile plot.
func hdrChart(run *results.Run, o Options) (*Section, []string) {
	names, labels, hs, errs := decodeAll(run.Histograms, func(name string) (string, bool) {
		rest, ok := strings.CutPrefix(name, "api.")
		if !ok {
			return "", false
		}
		ep, ok := strings.CutSuffix(rest, ".latency")
		return "/" + ep, ok && !strings.Contains(ep, ".")
	})
	names = withFirst(names, "api.updates.latency")
	c := newPercentileChart("latency_hdr", "ms")
	for _, name := range names {
		pts := downsample(percentileCurve(hs[name], run.Histograms.Histograms[name].Unit), o.maxPoints())
		c.AddSeries(labels[name], lineData(pts), lineSeriesOpts())
	}
	return &Section{ID: "latency_hdr", Title: "API latency distribution (HDR percentiles)",
		Note:  "Latency of each endpoint over the whole run, from the intended send time; the x axis is 1/(1−p) on a log scale, so the tail gets the room it deserves.",
		chart: c}, errs
}
