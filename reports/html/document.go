package html

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/go-echarts/go-echarts/v2/render"

	"github.com/otasim/otasim/reports/baseline"
)

// Options configure rendering.
type Options struct {
	// ECharts is the ECharts build (echarts.min.js) inlined into the page,
	// so the file draws offline. Nil: the page loads it from AssetsHost and
	// its header says so.
	ECharts []byte
	// AssetsHost is where echarts.min.js is loaded from when ECharts is nil
	// (default DefaultAssetsHost).
	AssetsHost string
	// MaxPoints bounds the points of one series (default 600).
	MaxPoints int
	// Baseline, when set, adds the verdict against a stored run to the
	// report (otasim run --baseline).
	Baseline *baseline.Verdict
}

func (o Options) maxPoints() int {
	if o.MaxPoints < 3 {
		return 600
	}
	return o.MaxPoints
}

func (o Options) assetsHost() string {
	if o.AssetsHost == "" {
		return DefaultAssetsHost
	}
	return o.AssetsHost
}

// Offline reports whether a page rendered with o draws without the network.
func (o Options) Offline() bool { return len(o.ECharts) > 0 }

// OfflineWarning is what the page header (and the command) says when the
// ECharts build is not inlined.
func (o Options) OfflineWarning() string {
	if o.Offline() {
		return ""
	}
	return "ECharts is loaded from " + o.assetsHost() + EChartsFile +
		": this report needs the network to draw its charts (run `just echarts` or pass --echarts-js for an offline report)"
}

// EChartsFile is the name of the ECharts build go-echarts loads.
const EChartsFile = "echarts.min.js"

// chartRenderer is what a go-echarts chart offers to be embedded.
type chartRenderer interface {
	RenderSnippet() render.ChartSnippet
}

// Section is one chart of a document.
type Section struct {
	ID, Title, Note string
	chart           chartRenderer
}

type block struct {
	html    template.HTML
	section *Section
}

// Document is a page of HTML blocks and charts, rendered to one
// self-contained file. Reports and comparisons are Documents.
type Document struct {
	title  string
	opts   Options
	blocks []block
}

// NewDocument starts a page.
func NewDocument(title string, opts Options) *Document {
	return &Document{title: title, opts: opts}
}

// AddHTML appends trusted HTML (built with html/template by the caller).
func (d *Document) AddHTML(h template.HTML) { d.blocks = append(d.blocks, block{html: h}) }

// addChart appends a chart section.
func (d *Document) addChart(s *Section) { d.blocks = append(d.blocks, block{section: s}) }

// Sections lists the chart sections in page order.
func (d *Document) Sections() []*Section {
	var out []*Section
	for _, b := range d.blocks {
		if b.section != nil {
			out = append(out, b.section)
		}
	}
	return out
}

// Option is the ECharts option (JSON) of a section: the chart's data.
func (s *Section) Option() string { return s.chart.RenderSnippet().Option }

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta name="generator" content="otasim">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.5em;margin:.6em 0 .2em}
h2{font-size:1.15em;margin:0 0 .3em}
section{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:14px 16px;margin:14px 0}
table{border-collapse:collapse;font-size:.92em}
th,td{border-bottom:1px solid #e4e7ec;padding:4px 10px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#137333;font-weight:600}.fail{color:#b3261e;font-weight:600}.inconclusive{color:#8a5300;font-weight:600}.na{color:#666}
.warn{background:#fff4e5;border:1px solid #f0b35a;border-radius:4px;padding:6px 10px;margin:6px 0}
.note{color:#5b6272;font-size:.9em;margin:.2em 0 .6em}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.meta dt{color:#5b6272}dl.meta dd{margin:0}
.container{display:flex;justify-content:center}.item{margin:auto}
</style>
{{.Script}}
</head>
<body>
<main>
{{range .Blocks}}{{if .Section}}<section class="chart" id="section-{{.Section.ID}}" data-chart="{{.Section.ID}}">
<h2>{{.Section.Title}}</h2>
{{if .Section.Note}}<p class="note">{{.Section.Note}}</p>
{{end}}{{.Element}}
{{.ChartScript}}
</section>
{{else}}{{.HTML}}
{{end}}{{end}}</main>
</body>
</html>
`))

type blockView struct {
	HTML        template.HTML
	Section     *Section
	Element     template.HTML
	ChartScript template.HTML
}

// Render writes the page. It fails, writing nothing, when a chart cannot
// be rendered.
func (d *Document) Render(w io.Writer) (err error) {
	// go-echarts panics on a template error; a report must not.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("render %s: %v", d.title, r)
		}
	}()
	var script template.HTML
	if d.opts.Offline() {
		js := strings.ReplaceAll(string(d.opts.ECharts), "</script", `<\/script`)
		script = template.HTML("<script>" + js + "</script>")
	} else {
		script = template.HTML(`<script src="` + template.HTMLEscapeString(d.opts.assetsHost()+EChartsFile) + `"></script>`)
	}
	script += drawScript
	views := make([]blockView, 0, len(d.blocks))
	for _, b := range d.blocks {
		v := blockView{HTML: b.html, Section: b.section}
		if b.section != nil {
			sn := b.section.chart.RenderSnippet()
			v.Element = template.HTML(sn.Element)
			v.ChartScript = template.HTML(deferChart(sn.Script))
		}
		views = append(views, v)
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, struct {
		Title  string
		Script template.HTML
		Blocks []blockView
	}{d.title, script, views}); err != nil {
		return fmt.Errorf("render %s: %w", d.title, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// drawScript draws the charts one after another, each in its own task,
// once the page is parsed: the page shows (and its first charts draw) at
// once instead of after every chart, and stays responsive while the rest
// draw. When all are drawn, body gets data-drawn="all" and
// window.otasimDrawnMs the time it took.
const drawScript = `<script>
window.otasimCharts = [];
document.addEventListener("DOMContentLoaded", function () {
  var fns = window.otasimCharts, next = 0;
  function drawNext() {
    if (next < fns.length) {
      fns[next++]();
      setTimeout(drawNext, 0);
      return;
    }
    window.otasimDrawnMs = performance.now();
    document.body.dataset.drawn = "all";
  }
  drawNext();
});
</script>`

// deferChart turns go-echarts' inline chart script into a function queued
// for drawScript.
func deferChart(script string) string {
	start := strings.Index(script, ">")
	end := strings.LastIndex(script, "</script>")
	if start < 0 || end <= start {
		return script // not the expected shape: draw it at once
	}
	return "<script>window.otasimCharts.push(function () {" + script[start+1:end] + "});</script>"
}
