package html

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/otasim/otasim/reports/baseline"
	"github.com/otasim/otasim/reports/format"
	"github.com/otasim/otasim/sim/results"
)

// Report builds the report of a run: header, targets table, charts.
func Report(run *results.Run, o Options) (*Document, error) {
	if run == nil {
		return nil, errors.New("report: no run")
	}
	s := &run.Summary
	if s.Schema != "" && s.Schema != results.SchemaSummary { // Read and the history upgrade older ones
		return nil, fmt.Errorf("report: summary schema %q is not %q (a newer otasim wrote it?)", s.Schema, results.SchemaSummary)
	}
	d := NewDocument(fmt.Sprintf("otasim %s · %s", s.Scenario, s.RunID), o)
	var sections []*Section
	var decodeErrs []string
	hdr, errs := hdrChart(run, o)
	decodeErrs = append(decodeErrs, errs...)
	if s.Load != nil {
		// A load run sends device checks only: its charts, the /updates
		// distribution and requests/s; the fleet's would all be empty.
		sections = append(sections, loadCharts(run, o)...)
		sections = append(sections, hdr, throughputCharts(run, o)[0])
	} else {
		sections = append(sections, adoptionChart(run, o))
		sections = append(sections, latencyCharts(run, o)...)
		sections = append(sections, hdr)
		cdn, errs := cdnCharts(run, o)
		decodeErrs = append(decodeErrs, errs...)
		sections = append(sections, cdn...)
		sections = append(sections, deliveryCharts(run)...)
		sections = append(sections, successCharts(run)...)
		sections = append(sections, rollbackChart(run, o))
		sections = append(sections, throughputCharts(run, o)...)
		sections = append(sections, engagementCharts(run)...)
	}

	head, err := headerHTML(run, o, decodeErrs)
	if err != nil {
		return nil, err
	}
	d.AddHTML(head)
	for _, sec := range sections {
		d.addChart(sec)
	}
	return d, nil
}

// Render writes the report of run to w.
func Render(w io.Writer, run *results.Run, o Options) error {
	d, err := Report(run, o)
	if err != nil {
		return err
	}
	return d.Render(w)
}

// Warnings are the harness-health warnings the report header shows.
func Warnings(run *results.Run, o Options) []string {
	s := &run.Summary
	var out []string
	if s.Interrupted {
		out = append(out, fmt.Sprintf("The run was interrupted after %s of virtual time: the results are partial.", seconds(s.VirtualSeconds)))
	}
	for _, o := range s.TargetLost {
		msg := fmt.Sprintf("TARGET LOST at %s: every request failed from then on (%d failures)", seconds(o.LostAtS), o.Failures)
		if o.RecoveredAtS != nil {
			msg += fmt.Sprintf("; it answered again at %s.", seconds(*o.RecoveredAtS))
		} else {
			msg += "; it never answered again."
		}
		out = append(out, msg)
	}
	if s.AbortedBy != "" {
		out = append(out, fmt.Sprintf("The run was stopped early at %s by the abort_on_fail of target %s.", seconds(s.VirtualSeconds), s.AbortedBy))
	}
	if s.Harness.FellBehind {
		msg := fmt.Sprintf("The load generator fell behind (schedule lag p99 %s, %d late events)", ms(s.Harness.ScheduleLagP99Ms), s.Harness.LateEvents)
		if len(s.Harness.Reasons) > 0 {
			msg += ": " + strings.Join(s.Harness.Reasons, "; ")
		}
		out = append(out, msg+": latencies include its own delay.")
	}
	for _, a := range s.SkippedActions {
		msg := fmt.Sprintf("Timeline action skipped at %s: %s %s", seconds(a.AtS), a.Action, a.Detail)
		if a.Error != "" {
			msg += " (" + a.Error + ")"
		}
		out = append(out, msg)
	}
	for _, w := range s.Warnings {
		if s.Harness.FellBehind && strings.Contains(w, "FELL BEHIND") {
			continue // said above
		}
		out = append(out, w)
	}
	if w := o.OfflineWarning(); w != "" {
		out = append(out, w)
	}
	return out
}

var headerTemplate = template.Must(template.New("header").Parse(`<header>
<h1>{{.S.Scenario}} <span class="{{.VerdictClass}}" id="verdict">{{.S.Verdict}}</span></h1>
<p class="note">Run {{.S.RunID}}{{if .S.StartedAt}}, started {{.S.StartedAt}}{{end}}{{if .S.ScenarioSource}}, scenario {{.S.ScenarioSource}}{{end}}</p>
{{if .S.VerdictReasons}}<ul id="verdict-reasons">
{{range .S.VerdictReasons}}<li>{{.}}</li>
{{end}}</ul>
{{end}}<p class="note">PASS: every target that applies passed and the harness measured honestly; FAIL: the server missed a target, was lost or regressed; INCONCLUSIVE: the harness could not measure honestly, and nothing it measured shows the server failing.</p>
{{range .Warnings}}<div class="warn">⚠ {{.}}</div>
{{end}}</header>
<section id="run">
<h2>Run</h2>
<dl class="meta">
<dt>seed</dt><dd>{{.S.Seed}}</dd>
<dt>devices</dt><dd>{{.S.Devices}}{{range $i, $c := .S.Cohorts}}{{if $i}}, {{else}} ({{end}}{{$c.Name}} {{$c.Devices}}{{end}}{{if .S.Cohorts}}){{end}}</dd>
<dt>virtual duration</dt><dd>{{.Virtual}}</dd>
<dt>real duration</dt><dd>{{.Wall}}</dd>
<dt>speed</dt><dd>{{.S.Speed}}× (virtual seconds per real second)</dd>
<dt>server</dt><dd>{{.S.Server.Kind}} {{.S.Server.UpdatesURL}}{{with .S.Server.Transport}} ({{.}} transport){{end}}</dd>
<dt>bundles</dt><dd>{{range $i, $b := .Bundles}}{{if $i}}, {{end}}{{$b}}{{end}}</dd>
<dt>generator</dt><dd>{{.S.Harness.Requests}} requests, schedule lag p99 {{.Lag}}, {{.S.Harness.Workers}} workers, {{.S.Harness.Connections}} connections</dd>
<dt>downloads</dt><dd id="downloads">{{.Downloads}}</dd>
</dl>
</section>
<section id="harness">
<h2>Harness</h2>
<p class="note">The load generator's own health: when it falls behind its schedule, the latencies include its delay and the fleet did less than it should have.</p>
<dl class="meta">
<dt>kept to the schedule</dt><dd id="harness-schedule" class="{{if .S.Harness.FellBehind}}fail{{else}}pass{{end}}">{{if .S.Harness.FellBehind}}no: it fell behind{{else}}yes{{end}}</dd>
<dt>events</dt><dd id="harness-events">{{.S.Harness.Events}} handled, {{.S.Harness.LateEvents}} late (more than {{.LateBound}} after their time), {{.S.Harness.DroppedEvents}} dropped (due before the end, never handled)</dd>
<dt>schedule lag</dt><dd>p99 {{.Lag}}, max {{.LagMax}}</dd>
<dt>CPU</dt><dd id="harness-cpu">{{printf "%.1f" .S.Harness.CPUSeconds}} s, {{printf "%.1f" .S.Harness.CPUUsPerRequest}} µs a request ({{.S.Harness.Requests}} requests, {{printf "%.0f" .S.Harness.RequestsPerS}}/s)</dd>
<dt>memory</dt><dd>peak RSS {{.RSS}}, {{printf "%.0f" .S.Harness.BytesPerDevice}} bytes of state per device, peak {{.S.Harness.PeakInFlight}} requests in flight</dd>
</dl>
</section>
<section id="targets-section">
<h2>Targets</h2>
<table id="targets">
<thead><tr><th>target</th><th>metric</th><th>value</th><th>threshold</th><th>result</th></tr></thead>
<tbody>
{{range .Targets}}<tr data-target="{{.T.Name}}"><td>{{.T.Name}}{{if .T.Segment}} ({{.T.Segment}}){{end}}</td><td>{{.T.Metric}}</td><td class="num value">{{.Value}}</td><td class="num threshold">{{.Threshold}}</td><td class="result {{.Class}}">{{.Result}}</td></tr>
{{if .T.Note}}<tr class="target-note"><td></td><td colspan="4" class="note">{{.T.Note}}</td></tr>
{{end}}{{else}}<tr><td colspan="5">no targets</td></tr>
{{end}}</tbody>
</table>
</section>
{{with .Baseline}}<section id="baseline-section">
<h2>Baseline <span class="{{if .Regressed}}fail{{else}}pass{{end}}">{{if .Regressed}}REGRESSED{{else}}ok{{end}}</span></h2>
<p class="note">Against run {{.BaseID}}: a metric regresses when it is worse by more than its tolerance.</p>
{{range .Notes}}<div class="warn">⚠ {{.}}</div>
{{end}}<table id="baseline">
<thead><tr><th>metric</th><th>baseline</th><th>this run</th><th>delta</th><th>tolerance</th><th>result</th></tr></thead>
<tbody>
{{range .Rows}}<tr data-metric="{{.Metric}}"><td>{{.Metric}}</td><td class="num">{{.Base}}</td><td class="num">{{.Current}}</td><td class="num">{{.Delta}}</td><td class="num">{{.Tolerance}}</td><td class="{{.Class}}">{{.Status}}{{if .Why}} ({{.Why}}){{end}}</td></tr>
{{end}}</tbody>
</table>
</section>
{{end}}<section id="requests-section">
<h2>Requests</h2>
<table id="requests">
<thead><tr><th>endpoint</th><th>requests</th><th>failed</th><th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>failures</th><th>replies by status</th></tr></thead>
<tbody>
{{range .Endpoints}}<tr data-endpoint="{{.Name}}"><td>/{{.Name}}</td><td class="num">{{.E.Count}}</td><td class="num errors">{{.E.Errors}} ({{.Rate}})</td><td class="num">{{.Mean}}</td><td class="num">{{.P50}}</td><td class="num">{{.P90}}</td><td class="num">{{.P95}}</td><td class="num">{{.P99}}</td><td class="num">{{.Max}}</td><td class="failures">{{.Failures}}</td><td>{{.Statuses}}</td></tr>
{{else}}<tr><td colspan="11">no request</td></tr>
{{end}}</tbody>
</table>
<p class="note">Latencies are those of the successful replies, from the intended send time, so a generator that fell behind cannot hide a slow server; a failed request is never in them (— when none succeeded). Failures by outcome (http_error, protocol_error, timeout, network_error) and cause; status 0 is no reply.</p>
</section>
{{if .Segments}}<section id="segments-section">
<h2>Adoption per segment</h2>
<table id="segments">
<thead><tr><th>segment</th><th>active devices</th><th>final share</th><th>time to 50%</th><th>time to 90%</th><th>time to 95%</th></tr></thead>
<tbody>
{{range .Segments}}<tr><td>{{.Name}}</td><td class="num">{{.A.ActiveDevices}}</td><td class="num">{{.Final}}</td><td class="num">{{.T50}}</td><td class="num">{{.T90}}</td><td class="num">{{.T95}}</td></tr>
{{end}}</tbody>
</table>
<p class="note">Times count from the judged bundle's first timeline action; — when the share was not reached.</p>
</section>
{{end}}{{if .Timeline}}<section id="timeline">
<h2>Timeline</h2>
<table>
<thead><tr><th>at</th><th>action</th><th>detail</th><th>outcome</th></tr></thead>
<tbody>
{{range .Timeline}}<tr><td class="num">{{.At}}</td><td>{{.A.Action}}</td><td>{{.A.Detail}}</td><td>{{.A.Outcome}}{{if .A.Error}}: {{.A.Error}}{{end}}</td></tr>
{{end}}</tbody>
</table>
</section>
{{end}}`))

type targetView struct {
	T                               results.TargetResult
	Value, Threshold, Result, Class string
}

func headerHTML(run *results.Run, o Options, decodeErrs []string) (template.HTML, error) {
	s := &run.Summary
	warnings := Warnings(run, o)
	for _, e := range decodeErrs {
		warnings = append(warnings, "A histogram could not be read and is not drawn: "+e)
	}
	var bundles []string
	for _, b := range s.Bundles {
		bundles = append(bundles, fmt.Sprintf("%s (%s)", b.Version, bytesSize(b.Size)))
	}
	var targets []targetView
	for _, t := range s.Targets {
		res, class := statusView(t.Status)
		targets = append(targets, targetView{T: t, Value: FormatValue(t.Value, t.Unit), Threshold: FormatThreshold(t), Result: res, Class: class})
	}
	var timeline []actionView
	for _, a := range s.Timeline {
		timeline = append(timeline, actionView{A: a, At: seconds(a.AtS)})
	}
	type endpointView struct {
		Name                          string
		E                             results.Endpoint
		Mean, P50, P90, P95, P99, Max string
		Rate, Failures, Statuses      string
	}
	var endpoints []endpointView
	for _, name := range endpointOrder(s.API) {
		e := s.API[name]
		v := endpointView{Name: name, E: e, Mean: optMs(e.MeanMs), P50: optMs(e.P50Ms), P90: optMs(e.P90Ms), P95: optMs(e.P95Ms),
			P99: optMs(e.P99Ms), Max: optMs(e.MaxMs), Rate: pct(e.ErrorRate), Failures: format.Failures(e.Outcomes, e.Causes)}
		var st []string
		for _, code := range sortedKeys(e.ByStatus) {
			st = append(st, fmt.Sprintf("%s: %d", code, e.ByStatus[code]))
		}
		v.Statuses = strings.Join(st, ", ")
		endpoints = append(endpoints, v)
	}
	type segmentView struct {
		Name                 string
		A                    results.CohortAdoption
		Final, T50, T90, T95 string
	}
	opt := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return seconds(*p)
	}
	var segments []segmentView
	for _, name := range sortedKeys(s.Adoption.BySegment) {
		a := s.Adoption.BySegment[name]
		segments = append(segments, segmentView{Name: name, A: a, Final: pct(a.FinalShare), T50: opt(a.TimeTo50S), T90: opt(a.TimeTo90S), T95: opt(a.TimeTo95S)})
	}
	var buf bytes.Buffer
	err := headerTemplate.Execute(&buf, map[string]any{
		"Baseline": baselineView(o.Baseline),
		"S":        s, "Warnings": warnings, "Bundles": bundles, "Targets": targets, "Timeline": timeline,
		"Endpoints": endpoints, "Segments": segments,
		"Virtual": seconds(s.VirtualSeconds), "Wall": seconds(s.WallSeconds), "Lag": ms(s.Harness.ScheduleLagP99Ms),
		"VerdictClass": verdictClass(s.Verdict), "Downloads": downloadsLine(&s.CDN),
		"LagMax": ms(s.Harness.ScheduleLagMaxMs), "LateBound": ms(s.Harness.LateBoundMs),
		"RSS": fmt.Sprintf("%.0f MiB", float64(s.Harness.PeakRSSBytes)/(1<<20)),
	})
	if err != nil {
		return "", fmt.Errorf("report header: %w", err)
	}
	return template.HTML(buf.String()), nil
}

type baselineRowView struct {
	Metric, Base, Current, Delta, Tolerance, Status, Why, Class string
}

// baselineView formats a verdict for the page (nil: no section).
func baselineView(v *baseline.Verdict) any {
	if v == nil {
		return nil
	}
	var rows []baselineRowView
	for _, r := range v.Rows {
		if r.Status == baseline.StatusNA {
			continue
		}
		row := baselineRowView{Metric: r.Metric, Base: FormatValue(r.Base, r.Unit), Current: FormatValue(r.Current, r.Unit),
			Delta: "—", Tolerance: r.Tolerance.In(r.Unit), Status: string(r.Status), Why: r.Why}
		if r.Delta != nil {
			row.Delta = signedNumber(*r.Delta, r.Unit)
		}
		switch r.Status {
		case baseline.StatusRegressed:
			row.Class = "fail"
		case baseline.StatusImproved:
			row.Class = "pass"
		}
		rows = append(rows, row)
	}
	return struct {
		BaseID    string
		Regressed bool
		Notes     []string
		Rows      []baselineRowView
	}{v.BaseID, v.Regressed, v.Notes, rows}
}

func signedNumber(d float64, unit string) string {
	if d < 0 {
		return "-" + formatNumber(-d, unit)
	}
	return "+" + formatNumber(d, unit)
}
