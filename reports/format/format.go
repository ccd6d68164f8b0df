// Package format formats the values of a run the way every report shows
// them: the HTML report, JUnit messages, the command's tables.
package format

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/otasim/otasim/sim/results"
)

// Ms formats milliseconds with sensible precision.
func Ms(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	default:
		return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
	}
}

// OptMs formats milliseconds that may be missing ("—": e.g. the latency of
// an endpoint with no successful reply).
func OptMs(v *float64) string {
	if v == nil {
		return "—"
	}
	return Ms(*v)
}

// QuantileMs formats one figure of q in ms, "—" when q has no value.
func QuantileMs(q results.Quantiles, v float64) string {
	if q.Count == 0 {
		return "—"
	}
	return Ms(v)
}

// Seconds formats a duration given in seconds like "5h12m3s".
func Seconds(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return "—"
	}
	d := time.Duration(math.Round(s)) * time.Second
	if s < 10 {
		d = time.Duration(math.Round(s*1000)) * time.Millisecond
	}
	out := d.String()
	// "1h30m0s" reads better as "1h30m", "2h0m0s" as "2h".
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

// Span names a sampling interval ("3m36s").
func Span(s float64) string {
	if s <= 0 {
		return "interval"
	}
	return Seconds(s)
}

// Value formats a target's value in its unit, as the targets table
// shows it ("—" for no value).
func Value(v *float64, unit string) string {
	if v == nil {
		return "—"
	}
	return Number(*v, unit)
}

// Number formats v in unit ("ratio" as a percentage, "s" as a duration).
func Number(v float64, unit string) string {
	switch unit {
	case "ratio":
		return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
	case "ms":
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	case "s":
		return Seconds(v)
	case "count":
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'g', 6, 64) + " " + unit
	}
}

// Threshold formats a target's comparison and threshold ("<= 434.0 ms").
func Threshold(t results.TargetResult) string {
	return t.Comparison + " " + Number(t.Threshold, t.Unit)
}

// Bytes formats a size in binary units.
func Bytes(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	default:
		return strconv.FormatInt(n, 10) + " B"
	}
}

// Pct formats a share as a percentage with one decimal ("95%", "74.4%").
func Pct(v float64) string {
	s := strconv.FormatFloat(v*100, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

// Signed formats a difference with its sign (+ or -) in front.
func Signed(d float64, unit string) string {
	s := Number(math.Abs(d), unit)
	if d < 0 {
		return "-" + s
	}
	return "+" + s
}

// Failures lists failed requests by outcome, then by cause:
// "http_error 250; http_501 250" ("none" when nothing failed).
func Failures(oc results.OutcomeCounts, causes map[string]int64) string {
	var parts []string
	for o := results.OutcomeHTTPError; o < results.NumOutcomes; o++ {
		if oc[o] > 0 {
			parts = append(parts, o.String()+" "+strconv.FormatInt(oc[o], 10))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(causes))
	for k := range causes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cs []string
	for _, k := range keys {
		cs = append(cs, k+" "+strconv.FormatInt(causes[k], 10))
	}
	out := strings.Join(parts, ", ")
	if len(cs) > 0 {
		out += "; " + strings.Join(cs, ", ")
	}
	return out
}
