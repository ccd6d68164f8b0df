// Package compare sets two runs side by side: a table of their metrics
// with deltas, and a comparison page with their curves overlaid.
package compare

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"text/tabwriter"

	"github.com/otasim/otasim/reports/baseline"
	"github.com/otasim/otasim/reports/format"
	"github.com/otasim/otasim/reports/html"
	"github.com/otasim/otasim/sim/results"
)

// Row is one metric of both runs.
type Row struct {
	Metric string   `json:"metric"`
	Unit   string   `json:"unit"`
	A      *float64 `json:"a"`
	B      *float64 `json:"b"`
	// Delta is B − A; DeltaPct the same over |A| (nil when A is 0 or
	// either is missing).
	Delta    *float64 `json:"delta"`
	DeltaPct *float64 `json:"delta_pct"`
	// Verdict is B judged against A with the default tolerances.
	Verdict baseline.Status `json:"verdict"`
}

// Comparison is two runs side by side.
type Comparison struct {
	A, B  *results.Summary
	Rows  []Row
	Notes []string
}

func ptr(v float64) *float64 { return &v }

// Compare sets b beside a: the run's size and cost first, then every
// metric a baseline judges, with B judged against A.
func Compare(a, b *results.Run) (*Comparison, error) {
	if a == nil || b == nil {
		return nil, errors.New("compare: two runs are needed")
	}
	sa, sb := &a.Summary, &b.Summary
	c := &Comparison{A: sa, B: sb}
	add := func(metric, unit string, va, vb *float64, verdict baseline.Status) {
		r := Row{Metric: metric, Unit: unit, A: va, B: vb, Verdict: verdict}
		if va != nil && vb != nil {
			r.Delta = ptr(*vb - *va)
			if *va != 0 {
				r.DeltaPct = ptr(100 * (*vb - *va) / math.Abs(*va))
			}
		}
		c.Rows = append(c.Rows, r)
	}
	add("devices", "count", ptr(float64(sa.Devices)), ptr(float64(sb.Devices)), "")
	add("virtual_seconds", "s", ptr(sa.VirtualSeconds), ptr(sb.VirtualSeconds), "")
	add("wall_seconds", "s", ptr(sa.WallSeconds), ptr(sb.WallSeconds), "")
	add("harness.requests", "count", ptr(float64(sa.Harness.Requests)), ptr(float64(sb.Harness.Requests)), "")
	add("harness.schedule_lag_p99_ms", "ms", ptr(sa.Harness.ScheduleLagP99Ms), ptr(sb.Harness.ScheduleLagP99Ms), "")
	v := baseline.Check(sa, sb, nil)
	c.Notes = v.Notes
	for _, r := range v.Rows {
		if r.Status == baseline.StatusNA {
			continue
		}
		add(r.Metric, r.Unit, r.Base, r.Current, r.Status)
	}
	return c, nil
}

// WriteTable prints the side-by-side table.
func (c *Comparison) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\tA %s\tB %s\t\t\t\n", c.A.RunID, c.B.RunID)
	fmt.Fprintf(tw, "scenario\t%s\t%s\t\t\t\n", c.A.Scenario, c.B.Scenario)
	fmt.Fprintln(tw, "METRIC\tA\tB\tDELTA\tDELTA %\tB vs A")
	for _, r := range c.Rows {
		d, dp := "—", "—"
		if r.Delta != nil {
			d = format.Signed(*r.Delta, r.Unit)
		}
		if r.DeltaPct != nil {
			dp = fmt.Sprintf("%+.1f%%", *r.DeltaPct)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Metric, format.Value(r.A, r.Unit), format.Value(r.B, r.Unit), d, dp, r.Verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range c.Notes {
		if _, err := fmt.Fprintln(w, "note:", n); err != nil {
			return err
		}
	}
	return nil
}

var tableTemplate = htmltemplate.Must(htmltemplate.New("cmp").Parse(`<header>
<h1>Comparison: {{.A.Scenario}}{{if ne .A.Scenario .B.Scenario}} / {{.B.Scenario}}{{end}}</h1>
<p class="note">A = {{.A.RunID}} (started {{.A.StartedAt}}), B = {{.B.RunID}} (started {{.B.StartedAt}})</p>
{{range .Notes}}<div class="warn">⚠ {{.}}</div>
{{end}}</header>
<section id="comparison-section">
<h2>Side by side</h2>
<table id="comparison">
<thead><tr><th>metric</th><th>A</th><th>B</th><th>delta</th><th>delta %</th><th>B vs A</th></tr></thead>
<tbody>
{{range .Rows}}<tr data-metric="{{.Metric}}"><td>{{.Metric}}</td><td class="num">{{.A}}</td><td class="num">{{.B}}</td><td class="num">{{.Delta}}</td><td class="num">{{.Pct}}</td><td class="{{.Class}}">{{.Verdict}}</td></tr>
{{end}}</tbody>
</table>
</section>
`))

// Document builds the comparison page: the table, then the overlaid
// curves.
func (c *Comparison) Document(a, b *results.Run, o html.Options) (*html.Document, error) {
	type rowView struct{ Metric, A, B, Delta, Pct, Verdict, Class string }
	var rows []rowView
	for _, r := range c.Rows {
		v := rowView{Metric: r.Metric, A: format.Value(r.A, r.Unit), B: format.Value(r.B, r.Unit), Delta: "—", Pct: "—", Verdict: string(r.Verdict)}
		if r.Delta != nil {
			v.Delta = format.Signed(*r.Delta, r.Unit)
		}
		if r.DeltaPct != nil {
			v.Pct = fmt.Sprintf("%+.1f%%", *r.DeltaPct)
		}
		switch r.Verdict {
		case baseline.StatusRegressed:
			v.Class = "fail"
		case baseline.StatusImproved:
			v.Class = "pass"
		}
		rows = append(rows, v)
	}
	notes := c.Notes
	if w := o.OfflineWarning(); w != "" {
		notes = append(append([]string{}, notes...), w)
	}
	var buf bytes.Buffer
	if err := tableTemplate.Execute(&buf, map[string]any{"A": c.A, "B": c.B, "Rows": rows, "Notes": notes}); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	d := html.NewDocument(fmt.Sprintf("otasim compare %s %s", c.A.RunID, c.B.RunID), o)
	d.AddHTML(htmltemplate.HTML(buf.String()))
	d.AddOverlays(html.Labelled{Label: "A", Run: a}, html.Labelled{Label: "B", Run: b})
	return d, nil
}

// WriteHTML renders the comparison page of a and b.
func WriteHTML(w io.Writer, a, b *results.Run, o html.Options) error {
	c, err := Compare(a, b)
	if err != nil {
		return err
	}
	d, err := c.Document(a, b, o)
	if err != nil {
		return err
	}
	return d.Render(w)
}
