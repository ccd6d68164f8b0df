package html

import (
	"fmt"

	"github.com/otasim/otasim/reports/format"
	"github.com/otasim/otasim/sim/results"
)

// statusView is how a target's status shows: its word and its CSS class.
func statusView(st results.TargetStatus) (string, string) {
	class := map[results.TargetStatus]string{results.StatusPass: "pass", results.StatusInconclusive: "inconclusive",
		results.StatusNA: "na"}[st]
	if class == "" {
		class = "fail"
	}
	return st.Word(), class
}

// verdictClass is the CSS class of a verdict.
func verdictClass(v results.Verdict) string {
	switch v {
	case results.VerdictPass:
		return "pass"
	case results.VerdictInconclusive:
		return "inconclusive"
	}
	return "fail"
}

// downloadsLine describes the bundle downloads: successes, failures by
// outcome and cause, time per download, and whether the per-5 MB figure
// applies.
func downloadsLine(c *results.CDN) string {
	if c.Outcomes.Total() == 0 && c.Downloads+c.Failures == 0 {
		return "none"
	}
	out := fmt.Sprintf("%d succeeded, %d failed (%s)", c.Downloads, c.Failures, pct(c.ErrorRate))
	if c.Failures > 0 {
		out += ": " + format.Failures(c.Outcomes, c.Causes)
	}
	out += fmt.Sprintf("; per download p50 %s, p95 %s", format.QuantileMs(c.MsPerDownload, c.MsPerDownload.P50),
		format.QuantileMs(c.MsPerDownload, c.MsPerDownload.P95))
	if c.Downloads > 0 && c.MsPer5MB.Count == 0 {
		out += "; every bundle is under 1 MB, so no time per 5 MB"
	}
	return out
}

type actionView struct {
	A  results.ActionResult
	At string
}
