package format

import (
	"math"
	"testing"

	"github.com/otasim/otasim/sim/results"
)

func TestFormat(t *testing.T) {
	v := 0.8251
	for _, tc := range []struct{ got, want string }{
		{Value(nil, "ms"), "—"},
		{Value(&v, "ratio"), "82.51%"},
		{Number(12.34, "count"), "12"},
		{Number(2.5, "MB"), "2.5 MB"},
		{Ms(math.NaN()), "—"},
		{Ms(1234.5), "1234 ms"},
		{Ms(12.34), "12.3 ms"},
		{Ms(1.234), "1.23 ms"},
		{Seconds(math.Inf(1)), "—"},
		{Seconds(86400), "24h"},
		{Seconds(90), "1m30s"},
		{Span(0), "interval"},
		{Span(600), "10m"},
		{Bytes(512), "512 B"},
		{Bytes(5 << 20), "5.0 MiB"},
		{Bytes(3 << 30), "3.0 GiB"},
		{Pct(0.95), "95%"},
		{Pct(0.744), "74.4%"},
		{Threshold(results.TargetResult{Comparison: ">=", Threshold: 0.82, Unit: "ratio"}), ">= 82.00%"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
