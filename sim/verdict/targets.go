// Package verdict judges a run. Targets compares each target's measured
// value with its threshold and says when a target cannot be judged (no
// value, the run ended before its window, the timeline actions it depends
// on were skipped) or does not apply; Decide turns the targets, the health
// of the harness, the target's availability and the baseline into the
// run's verdict — PASS, FAIL or INCONCLUSIVE — with its reasons; Watch
// stops a run early on abort_on_fail. Everything is a function of the
// summary, so a stored or merged run is judged again the same way.
package verdict

import (
	"fmt"
	"math"
	"strings"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/results"
)

// Targets judges each spec against the summary.
func Targets(specs []scenarios.TargetSpec, s *results.Summary) []results.TargetResult {
	out := []results.TargetResult{}
	for _, sp := range specs {
		out = append(out, judge(sp, s))
	}
	return out
}

func judge(sp scenarios.TargetSpec, s *results.Summary) results.TargetResult {
	tr := results.TargetResult{Name: sp.Name, Segment: sp.Segment, Metric: sp.Metric, Threshold: sp.Threshold,
		Comparison: sp.Op, Unit: sp.Unit}
	v, ok := Value(s, sp.Metric, sp.Segment)
	switch {
	case s.Load != nil && !strings.HasPrefix(sp.Metric, "api.updates.") && !strings.HasPrefix(sp.Metric, "harness."):
		tr.Status, tr.Note = results.StatusNA, "a load run sends device checks (/updates) only"
	case ok && !math.IsNaN(v):
		tr.Value = &v
		tr.Pass = sp.Pass(v)
		tr.Status = results.StatusFail
		if tr.Pass {
			tr.Status = results.StatusPass
		}
	default:
		tr.Status, tr.Note = noValue(sp, s)
	}
	if sp.Segment == "" && strings.HasPrefix(sp.Metric, "adoption.time_to_") && tr.Status == results.StatusFail {
		tr.Note = strings.TrimPrefix(tr.Note+"; "+adoptionLag(s, sp.Metric), "; ")
	}
	if skipped := dependsOnSkipped(sp.Metric, tr.Status, s); skipped != "" {
		tr.Status = results.StatusInconclusive
		tr.Note = strings.TrimPrefix(tr.Note+"; depends on skipped timeline actions: "+skipped, "; ")
	}
	if sp.Bundle != "" {
		tr.Note = strings.TrimSuffix("bundle "+sp.Bundle+"; "+tr.Note, "; ")
	}
	return tr
}

// noValue judges a target whose metric has no value: a latency of an
// endpoint whose every request failed fails outright; a share the run
// had time to reach and did not fails; a window the run ended inside, or
// a figure nothing measured, is inconclusive; a figure that cannot apply
// to this run is n/a.
func noValue(sp scenarios.TargetSpec, s *results.Summary) (results.TargetStatus, string) {
	parts := strings.Split(sp.Metric, ".")
	switch {
	case parts[0] == "api" && len(parts) == 3:
		ep, ok := s.API[parts[1]]
		if ok && sp.Segment != "" {
			ep, ok = ep.BySegment[sp.Segment]
		}
		switch {
		case !ok || ep.Count == 0:
			if strings.HasSuffix(sp.Metric, ".error_rate") {
				return results.StatusNA, "no request to /" + parts[1]
			}
			return results.StatusInconclusive, "no request to /" + parts[1] + " was measured"
		case ep.Succeeded() == 0:
			return results.StatusFail, fmt.Sprintf("no successful reply: %d requests, all failed", ep.Count)
		}
	case sp.Metric == "cdn.error_rate":
		return results.StatusNA, "no bundle download"
	case strings.HasPrefix(sp.Metric, "cdn.ms_per_5mb."):
		c := &s.CDN
		switch {
		case c.Downloads > 0:
			return results.StatusNA, fmt.Sprintf("every bundle downloaded is under 1 MB (%s per download, p50): "+
				"normalised to 5 MB such a time means nothing", number(c.MsPerDownload.P50, "ms"))
		case c.Failures > 0:
			return results.StatusFail, fmt.Sprintf("no download succeeded: %d failed", c.Failures)
		case c.Outcomes.Total() > 0:
			return results.StatusNA, "the bundles were delivered per file (manifest), not as zips"
		}
		return results.StatusInconclusive, "no bundle was downloaded"
	case strings.HasPrefix(sp.Metric, "adoption.time_to_"):
		return window(s.Adoption.FirstActionS, sp.Threshold, s.VirtualSeconds, "the share was not reached")
	case sp.Metric == "rollback.time_to_95_s":
		if !s.Rollback.Happened {
			return results.StatusInconclusive, "no rollback happened"
		}
		at := s.Rollback.AtS
		return window(&at, sp.Threshold, s.VirtualSeconds, "95% of the exposed devices were not back")
	case strings.HasPrefix(sp.Metric, "success_rate."):
		return results.StatusInconclusive, "no update attempt ended"
	}
	return results.StatusInconclusive, "no value measured"
}

// window judges a time-to target that was not reached: a failure when the
// run lasted the whole window from its start, inconclusive when it ended
// first.
func window(from *float64, within, endS float64, notReached string) (results.TargetStatus, string) {
	if from == nil {
		return results.StatusInconclusive, "the timeline never acted on the bundle"
	}
	if closes := *from + within; closes > endS {
		return results.StatusInconclusive, fmt.Sprintf("%s by the end of the run at %s, before the target's window closed at %s",
			notReached, seconds(endS), seconds(closes))
	}
	return results.StatusFail, notReached + " during the run"
}

// dependsOnSkipped names the skipped timeline actions a target's figure
// rests on: adoption and rollback times count from timeline actions;
// update success, downloads and install times exist only when the
// timeline released something, so a miss of theirs with actions skipped
// says nothing of the server ("" when it does not depend on any).
func dependsOnSkipped(metric string, st results.TargetStatus, s *results.Summary) string {
	if len(s.SkippedActions) == 0 {
		return ""
	}
	switch head, _, _ := strings.Cut(metric, "."); {
	case head == "adoption" || head == "rollback":
	case (head == "success_rate" || head == "install_time" || strings.HasPrefix(metric, "cdn.ms_")) && st != results.StatusPass:
	default:
		return ""
	}
	var names []string
	for _, a := range s.SkippedActions {
		n := a.Action + " " + a.Detail
		if a.Error != "" {
			n += " (" + a.Error + ")"
		}
		names = append(names, n)
		if len(names) == 3 && len(s.SkippedActions) > 3 {
			names = append(names, fmt.Sprintf("and %d more", len(s.SkippedActions)-3))
			break
		}
	}
	return strings.Join(names, ", ")
}
