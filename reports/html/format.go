package html

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/otasim/otasim/sim/results"
)

// nanValue marks a missing value in a series (drawn as a gap).
var nanValue = math.NaN()

// ms formats milliseconds with sensible precision.
func ms(v float64) string {
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

// seconds formats a duration given in seconds like "5h12m3s".
func seconds(s float64) string {
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

// virtualSpan names a sampling interval ("3m36s").
func virtualSpan(s float64) string {
	if s <= 0 {
		return "interval"
	}
	return seconds(s)
}

// FormatValue formats a target's value in its unit, as the targets table
// shows it ("—" for no value).
func FormatValue(v *float64, unit string) string {
	if v == nil {
		return "—"
	}
	return formatNumber(*v, unit)
}

func formatNumber(v float64, unit string) string {
	switch unit {
	case "ratio":
		return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
	case "ms":
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	case "s":
		return seconds(v)
	case "count":
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'g', 6, 64) + " " + unit
	}
}

// FormatThreshold formats a target's comparison and threshold ("<= 434.0 ms").
func FormatThreshold(t results.TargetResult) string {
	return t.Comparison + " " + formatNumber(t.Threshold, t.Unit)
}

func bytesSize(n int64) string {
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
