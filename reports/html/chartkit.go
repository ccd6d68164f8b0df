package html

import (
	"math"
	"sort"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Chart size on the page.
const (
	chartWidth  = "1040px"
	chartHeight = "380px"
)

// chartID makes a stable JavaScript-safe id ("latency_channel_self").
func chartID(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('_')
		}
		for _, r := range p {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}

// globals are the options every chart shares: a stable id, no animation
// (the page is drawn once, and a drawn canvas is what the browser test
// reads), an axis tooltip, a scrolling legend and the toolbox's save.
func globals(id string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{ChartID: id, Width: chartWidth, Height: chartHeight, Theme: "white"}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "70", Right: "40", Top: "48", Bottom: "56"}),
		charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(true), Right: "10", Feature: &opts.ToolBoxFeature{
			SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{Show: opts.Bool(true), Title: "save"}}}),
	}
}

// newTimeLine is a line chart over virtual hours.
func newTimeLine(id, yName string, yMax any) *charts.Line {
	c := charts.NewLine()
	c.SetGlobalOptions(globals(id)...)
	c.SetGlobalOptions(
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "virtual hours", NameLocation: "middle", NameGap: 28, Min: 0}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName, Max: yMax}),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside", XAxisIndex: []int{0}}),
	)
	return c
}

// newShareLine is a line chart over virtual hours of shares shown as
// percentages (0 to 100, "{value}%"): labels such as "0.2" are both
// harder to read and wider than "20%". Series of it take percentages
// (share × 100).
func newShareLine(id, yName string) *charts.Line {
	c := newTimeLine(id, yName, 100)
	c.SetGlobalOptions(charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName, Min: 0, Max: 100,
		AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}))
	return c
}

// newCategoryBar is a bar chart over categories.
func newCategoryBar(id, yName string, cats []string) *charts.Bar {
	c := charts.NewBar()
	c.SetGlobalOptions(globals(id)...)
	c.SetGlobalOptions(
		charts.WithXAxisOpts(opts.XAxis{Type: "category"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: yName}),
	)
	c.SetXAxis(cats)
	return c
}

// lineSeriesOpts: no symbols (long series), straight segments.
func lineSeriesOpts() charts.SeriesOpts {
	return charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false), Symbol: "none"})
}

// timePoints pairs virtual seconds (as hours) with values, downsampled.
func timePoints(tS []float64, n int, y func(i int) float64, max int) []opts.LineData {
	ps := make([]point, 0, n)
	for i := 0; i < n && i < len(tS); i++ {
		ps = append(ps, point{tS[i] / 3600, y(i)})
	}
	return lineData(downsample(ps, max))
}

// lineData turns points into ECharts [x, y] pairs; NaN and ±Inf become gaps.
func lineData(ps []point) []opts.LineData {
	out := make([]opts.LineData, len(ps))
	for i, p := range ps {
		out[i] = opts.LineData{Value: []any{round(p.x), jsonNum(p.y)}}
	}
	return out
}

// jsonNum keeps the JSON valid: ECharts reads "-" as a missing value.
func jsonNum(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return round(v)
}

// round keeps six significant digits: enough for a chart, and it keeps the
// page small and its bytes stable across platforms.
func round(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	mag := math.Pow(10, 5-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*mag) / mag
}

func barData(vs []float64) []opts.BarData {
	out := make([]opts.BarData, len(vs))
	for i, v := range vs {
		out[i] = opts.BarData{Value: jsonNum(v)}
	}
	return out
}

// sortedKeys walks a map in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// withFirst moves first to the front of keys when present.
func withFirst(keys []string, first string) []string {
	for i, k := range keys {
		if k == first {
			return append([]string{first}, append(append([]string{}, keys[:i]...), keys[i+1:]...)...)
		}
	}
	return keys
}

// optsStack stacks the bars of a chart.
func optsStack() opts.BarChart { return opts.BarChart{Stack: "total"} }
