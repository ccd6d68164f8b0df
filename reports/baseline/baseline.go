// Package baseline judges a run against a stored one: each metric of
// Metrics() may get worse by at most its tolerance (documented defaults,
// overridden per metric), and a run that regresses beyond it fails the
// build (otasim run --baseline exits 3).
package baseline

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/otasim/otasim/reports/format"
	"github.com/otasim/otasim/sim/results"
)

// Tolerance is how much worse a metric may get: a change regresses when
// it is worse than the baseline by more than Relative × |baseline| and by
// more than Absolute (in the metric's unit).
type Tolerance struct {
	Relative float64 `json:"relative"`
	Absolute float64 `json:"absolute"`
}

// Allowed is the change allowed from base.
func (t Tolerance) Allowed(base float64) float64 {
	return math.Max(t.Relative*math.Abs(base), t.Absolute)
}

// String reads like "20% or 5" (In gives the unit).
func (t Tolerance) String() string { return t.In("") }

// In reads like "20% or 5 ms": the relative part of the baseline value,
// the absolute part in the metric's unit (a ratio's in points: "0.02 (2
// pts)"; seconds as a duration).
func (t Tolerance) In(unit string) string {
	var parts []string
	if t.Relative > 0 {
		parts = append(parts, strconv.FormatFloat(t.Relative*100, 'g', -1, 64)+"%")
	}
	if t.Absolute > 0 || len(parts) == 0 {
		abs := strconv.FormatFloat(t.Absolute, 'g', -1, 64)
		switch unit {
		case "ms":
			abs += " ms"
		case "s":
			abs = format.Seconds(t.Absolute)
		case "ratio":
			abs += " (" + strconv.FormatFloat(t.Absolute*100, 'g', -1, 64) + " pts)"
		}
		parts = append(parts, abs)
	}
	return strings.Join(parts, " or ")
}

// Overrides replace the default tolerance of metrics, by name.
type Overrides map[string]Tolerance

// ParseOverride reads "METRIC=TOL" where TOL is "20%" (relative), "5"
// (absolute, in the metric's unit) or both, comma-separated ("20%,5").
func ParseOverride(s string) (string, Tolerance, error) {
	name, val, ok := strings.Cut(s, "=")
	name, val = strings.TrimSpace(name), strings.TrimSpace(val)
	if !ok || name == "" || val == "" {
		return "", Tolerance{}, fmt.Errorf("tolerance %q: want METRIC=20%% or METRIC=5 or METRIC=20%%,5", s)
	}
	if _, known := LookupMetric(name); !known {
		return "", Tolerance{}, fmt.Errorf("tolerance %q: unknown metric %q (one of %s)", s, name, strings.Join(metricNames(), ", "))
	}
	var t Tolerance
	for part := range strings.SplitSeq(val, ",") {
		part = strings.TrimSpace(part)
		if p, isPct := strings.CutSuffix(part, "%"); isPct {
			f, err := strconv.ParseFloat(p, 64)
			if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
				return "", Tolerance{}, fmt.Errorf("tolerance %q: %q is not a percentage of 0 or more", s, part)
			}
			t.Relative = f / 100
			continue
		}
		f, err := strconv.ParseFloat(part, 64)
		if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", Tolerance{}, fmt.Errorf("tolerance %q: %q is not a number of 0 or more", s, part)
		}
		t.Absolute = f
	}
	return name, t, nil
}

// ParseOverrides reads several overrides, reporting every bad one.
func ParseOverrides(specs []string) (Overrides, error) {
	out := Overrides{}
	var errs []error
	for _, s := range specs {
		name, t, err := ParseOverride(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[name] = t
	}
	return out, errors.Join(errs...)
}

func metricNames() []string {
	var out []string
	for _, m := range Metrics() {
		out = append(out, m.Name)
	}
	return out
}

// Status of one metric.
type Status string

// Statuses.
const (
	StatusOK        Status = "ok"
	StatusRegressed Status = "REGRESSED"
	StatusImproved  Status = "improved"
	StatusNA        Status = "n/a"
)

// Row is the judgement of one metric.
type Row struct {
	Metric    string    `json:"metric"`
	Unit      string    `json:"unit"`
	Base      *float64  `json:"base"`
	Current   *float64  `json:"current"`
	Delta     *float64  `json:"delta"`
	Allowed   float64   `json:"allowed"`
	Tolerance Tolerance `json:"tolerance"`
	Status    Status    `json:"status"`
	Why       string    `json:"why,omitempty"`
}

// Verdict is the judgement of a run against its baseline.
type Verdict struct {
	BaseID, CurrentID string
	Rows              []Row
	// Regressed is true when a metric got worse beyond its tolerance.
	Regressed bool
	// Notes say why the two runs may not be comparable.
	Notes []string
}

// Result is what the run's verdict keeps of the comparison: the
// baseline's id and one sentence per regression.
func (v Verdict) Result() *results.BaselineCheck {
	out := &results.BaselineCheck{RunID: v.BaseID, Regressions: []string{}}
	for _, r := range v.Regressions() {
		out.Regressions = append(out.Regressions, fmt.Sprintf("%s %s now, %s in the baseline (%s)", r.Metric,
			format.Value(r.Current, r.Unit), format.Value(r.Base, r.Unit), r.Why))
	}
	return out
}

// Regressions lists the metrics that regressed.
func (v Verdict) Regressions() []Row {
	var out []Row
	for _, r := range v.Rows {
		if r.Status == StatusRegressed {
			out = append(out, r)
		}
	}
	return out
}

// Check judges cur against base. A metric with a value in the baseline
// and none now (a share no longer reached) regresses; one without a value
// in either is n/a.
func Check(base, cur *results.Summary, over Overrides) Verdict {
	v := Verdict{BaseID: base.RunID, CurrentID: cur.RunID}
	if base.Scenario != cur.Scenario {
		v.Notes = append(v.Notes, fmt.Sprintf("different scenarios: %s and %s", base.Scenario, cur.Scenario))
	}
	if base.Devices != cur.Devices {
		v.Notes = append(v.Notes, fmt.Sprintf("different fleet sizes: %d and %d devices", base.Devices, cur.Devices))
	}
	if base.Seed != cur.Seed {
		v.Notes = append(v.Notes, fmt.Sprintf("different seeds: %d and %d", base.Seed, cur.Seed))
	}
	if cur.Harness.FellBehind {
		v.Notes = append(v.Notes, "the load generator fell behind in this run: its latencies include the generator's delay")
	}
	for _, m := range Metrics() {
		tol := m.Default
		if o, ok := over[m.Name]; ok {
			tol = o
		}
		r := Row{Metric: m.Name, Unit: m.Unit, Tolerance: tol, Status: StatusOK}
		b, bok := Value(base, m.Name)
		c, cok := Value(cur, m.Name)
		if bok {
			r.Base = &b
			r.Allowed = tol.Allowed(b)
		}
		if cok {
			r.Current = &c
		}
		switch {
		case !bok && !cok:
			r.Status = StatusNA
		case bok && !cok:
			r.Status, r.Why = StatusRegressed, "no value in this run"
		case !bok && cok:
			r.Status, r.Why = StatusImproved, "no value in the baseline"
		default:
			d := c - b
			r.Delta = &d
			worse := d
			if m.Worse == LowerIsWorse {
				worse = -d
			}
			switch {
			case worse > r.Allowed:
				r.Status = StatusRegressed
				r.Why = fmt.Sprintf("worse by %s, allowed %s", format.Number(math.Abs(d), m.Unit), format.Number(r.Allowed, m.Unit))
			case worse < -r.Allowed:
				r.Status = StatusImproved
			}
		}
		if r.Status == StatusRegressed {
			v.Regressed = true
		}
		v.Rows = append(v.Rows, r)
	}
	return v
}

// Write prints the verdict as a table.
func (v Verdict) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "BASELINE %s\tTHIS RUN %s\n", v.BaseID, v.CurrentID)
	fmt.Fprintln(tw, "METRIC\tBASELINE\tTHIS RUN\tDELTA\tTOLERANCE\tRESULT")
	for _, r := range v.Rows {
		if r.Status == StatusNA {
			continue
		}
		delta := "—"
		if r.Delta != nil {
			delta = format.Signed(*r.Delta, r.Unit)
		}
		res := string(r.Status)
		if r.Why != "" && r.Status == StatusRegressed {
			res += " (" + r.Why + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Metric, format.Value(r.Base, r.Unit), format.Value(r.Current, r.Unit),
			delta, r.Tolerance.In(r.Unit), res)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range v.Notes {
		if _, err := fmt.Fprintln(w, "note:", n); err != nil {
			return err
		}
	}
	return nil
}
