package verdict

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otasim/otasim/sim/results"
)

// Robust reports whether a failure of the metric stands even when the
// generator fell behind: a generator's delay makes latencies and times
// longer, it does not make the server answer 5xx, garbage or nothing.
func Robust(metric string) bool {
	return strings.HasSuffix(metric, ".error_rate") || strings.HasSuffix(metric, ".errors") || metric == "cdn.failures"
}

// robustFailure reports whether a failed target's failure stands whatever
// the harness: a robust metric's, or a latency with no successful reply
// to measure (every request failed: the server's doing, never the
// generator's). It reads only the summary, so that a stored run is
// judged again the same way.
func robustFailure(t *results.TargetResult, s *results.Summary) bool {
	if Robust(t.Metric) {
		return true
	}
	if t.Value != nil {
		return false
	}
	parts := strings.Split(t.Metric, ".")
	switch {
	case parts[0] == "api" && len(parts) == 3:
		ep, ok := s.API[parts[1]]
		if ok && t.Segment != "" {
			ep, ok = ep.BySegment[t.Segment]
		}
		return ok && ep.Count > 0 && ep.Succeeded() == 0
	case strings.HasPrefix(t.Metric, "cdn.ms_"):
		return s.CDN.Downloads == 0 && s.CDN.Failures > 0
	}
	return false
}

// Decide sets the run's verdict from its summary: s.Verdict,
// s.VerdictReasons, s.Pass and each target's final Status. Call it after
// Targets, and again when something is added (a baseline comparison);
// it is idempotent.
//
//   - FAIL: a robust failure (an error rate over its limit, the target
//     lost); or, when the harness measured honestly, any failed target or
//     baseline regression.
//   - INCONCLUSIVE: otherwise, when the generator fell behind (a failure
//     it may explain is inconclusive), the run was interrupted, a shard of
//     a sharded run is missing, failed or fell behind, or a target could
//     not be judged.
//   - PASS: every target that applies passed, and nothing above.
func Decide(s *results.Summary) {
	behind := s.Harness.FellBehind || len(shardReasons(s.Shards)) > 0
	var fails, robust, unsure []string
	for i := range s.Targets {
		t := &s.Targets[i]
		if t.Status == results.StatusFail && behind && !robustFailure(t, s) {
			t.Status = results.StatusInconclusive
			t.Note = strings.TrimPrefix(t.Note+"; the generator fell behind, so the miss may be its own delay", "; ")
		}
		switch t.Status {
		case results.StatusFail:
			r := targetReason(t)
			if robustFailure(t, s) {
				robust = append(robust, r)
			} else {
				fails = append(fails, r)
			}
		case results.StatusInconclusive:
			unsure = append(unsure, targetReason(t))
		}
	}
	for _, o := range s.TargetLost {
		robust = append(robust, lostReason(o))
	}
	if s.AbortedBy != "" {
		fails = append(fails, fmt.Sprintf("stopped early at %s by abort_on_fail of %s", seconds(s.VirtualSeconds), s.AbortedBy))
	}
	if b := s.Baseline; b != nil {
		for _, r := range b.Regressions {
			r = "regressed against " + b.RunID + ": " + r
			if behind {
				unsure = append(unsure, r+" (the generator fell behind)")
			} else {
				fails = append(fails, r)
			}
		}
	}
	var harness []string
	if s.Harness.FellBehind {
		harness = append(harness, "the load generator fell behind")
		if len(s.Harness.Reasons) > 0 {
			harness[0] += ": " + strings.Join(s.Harness.Reasons, "; ")
		}
	}
	if s.Interrupted {
		harness = append(harness, "the run was interrupted after "+seconds(s.VirtualSeconds)+": the results are partial")
	}
	if r := shardReasons(s.Shards); len(r) > 0 {
		// The fleet was not measured whole: a miss may be the missing
		// part's, as when the generator falls behind.
		harness = append(harness, r...)
		behind = true
	}
	failed := len(robust) > 0 || (len(fails) > 0 && !behind)
	switch {
	case failed:
		s.Verdict = results.VerdictFail
		s.VerdictReasons = join(robust, fails, harness, unsure)
	case len(harness) > 0 || len(unsure) > 0 || len(fails) > 0:
		s.Verdict = results.VerdictInconclusive
		s.VerdictReasons = join(harness, fails, unsure)
	default:
		s.Verdict, s.VerdictReasons = results.VerdictPass, []string{}
	}
	s.Pass = s.Verdict == results.VerdictPass
}

func join(lists ...[]string) []string {
	out := []string{}
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// targetReason says why a target failed or could not be judged:
// "api_errors.updates: 100.0% > 1.0%".
func targetReason(t *results.TargetResult) string {
	name := t.Name
	if t.Segment != "" && !strings.Contains(name, "@") {
		name += "@" + t.Segment
	}
	if t.Value != nil && !t.Pass {
		op := ">"
		if t.Comparison == ">=" {
			op = "<"
		}
		r := fmt.Sprintf("%s: %s %s %s", name, number(*t.Value, t.Unit), op, number(t.Threshold, t.Unit))
		if t.Status == results.StatusInconclusive && t.Note != "" {
			r += " (" + t.Note + ")"
		}
		return r
	}
	if t.Note != "" {
		return name + ": " + t.Note
	}
	return name + ": no value measured"
}

func lostReason(o results.Outage) string {
	r := fmt.Sprintf("TARGET LOST at %s: every request failed for %s and more (%d failures)",
		seconds(o.LostAtS), span(o.DetectedAtS-o.LostAtS), o.Failures)
	if o.RecoveredAtS != nil {
		return r + "; it answered again at " + seconds(*o.RecoveredAtS)
	}
	return r + "; it never answered again"
}

// number prints a value in its unit: a ratio as a percentage, ms with a
// decimal, seconds as a duration.
func number(v float64, unit string) string {
	switch unit {
	case "ratio":
		return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
	case "ms":
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	case "s":
		return seconds(v)
	case "count", "":
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64) + " " + unit
}

// span prints a length of time ("30s", "1m30.5s").
func span(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond).String()
}

// seconds prints seconds of the run's clock as hh:mm:ss (truncated, as
// the progress line prints them).
func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second)).Truncate(time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}
