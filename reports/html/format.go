package html

import (
	"math"

	"github.com/otasim/otasim/reports/format"
	"github.com/otasim/otasim/sim/results"
)

// nanValueOf marks a missing value in a series (drawn as a gap).
func nanValueOf() float64 { return math.NaN() }

func ms(v float64) string          { return format.Ms(v) }
func optMs(v *float64) string      { return format.OptMs(v) }
func seconds(s float64) string     { return format.Seconds(s) }
func virtualSpan(s float64) string { return format.Span(s) }
func bytesSize(n int64) string     { return format.Bytes(n) }
func pct(v float64) string         { return format.Pct(v) }

// FormatValue formats a target's value as the targets table shows it.
func FormatValue(v *float64, unit string) string { return format.Value(v, unit) }

// FormatThreshold formats a target's comparison and threshold.
func FormatThreshold(t results.TargetResult) string { return format.Threshold(t) }

func formatNumber(v float64, unit string) string { return format.Number(v, unit) }
