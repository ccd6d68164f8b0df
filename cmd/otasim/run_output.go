package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/otasim/otasim/reports/format"
	"github.com/otasim/otasim/sim/results"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressPrinter redraws one line on a terminal, or prints a plain line
// every 5 s otherwise; the target being lost, and found again, gets a
// line of its own at once.
func progressPrinter(w io.Writer, tty bool) func(results.Progress) {
	var last time.Time
	lost := false
	return func(p results.Progress) {
		if (p.TargetLostAtS != nil) != lost {
			lost = p.TargetLostAtS != nil
			if tty {
				fmt.Fprint(w, "\r\033[K")
			}
			if lost {
				fmt.Fprintf(w, "TARGET LOST at %s: every request has failed since (the run goes on)\n", fmtDur(*p.TargetLostAtS))
			} else {
				fmt.Fprintf(w, "target answering again at %s\n", fmtDur(p.VirtualS))
			}
		}
		line := fmt.Sprintf("virtual %s/%s  devices %d (active %d)  %s %.1f%%  %.0f req/s  requests %d  failures %d  in flight %d  lag p99 %.0f ms  late %d  overdue %d  CPU %.0f µs/req",
			fmtDur(p.VirtualS), fmtDur(p.DurationS), p.Devices, p.Active, p.Bundle, 100*p.Adoption,
			p.RequestsPerS, p.Requests, p.Failures, p.InFlight, p.LagP99Ms, p.LateEvents, p.OverdueEvents, p.CPUUsPerRequest)
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
			return
		}
		if now := time.Now(); now.Sub(last) >= 5*time.Second {
			last = now
			fmt.Fprintln(w, line)
		}
	}
}

// fmtDur prints virtual seconds as hh:mm:ss.
func fmtDur(s float64) string {
	d := time.Duration(s) * time.Second
	return fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

func fmtValue(v *float64, unit string) string {
	if v == nil {
		return "—"
	}
	switch unit {
	case "ratio":
		return fmt.Sprintf("%.1f%%", 100**v)
	case "s":
		return (time.Duration(*v) * time.Second).String()
	case "ms":
		return fmt.Sprintf("%.1f ms", *v)
	}
	return fmt.Sprintf("%g", *v)
}

func fmtThreshold(t results.TargetResult) string {
	v := t.Threshold
	return t.Comparison + " " + fmtValue(&v, t.Unit)
}

// printSummary prints the headline figures, the target table and where the
// files are.
func printSummary(w io.Writer, s *results.Summary, dir string) {
	fmt.Fprintf(w, "\n%s: %d devices, %s virtual in %.1f s (speed %g)", s.Scenario, s.Devices,
		fmtDur(s.VirtualSeconds), s.WallSeconds, s.Speed)
	if s.Interrupted {
		fmt.Fprint(w, "  INTERRUPTED")
	}
	fmt.Fprintln(w)
	if a := s.Adoption; a.Bundle != "" {
		fmt.Fprintf(w, "adoption of %s: final %.1f%% of %d active devices; 50%% after %s, 90%% after %s, 95%% after %s\n",
			a.Bundle, 100*a.FinalShare, a.ActiveDevices, fmtValue(a.TimeTo50S, "s"), fmtValue(a.TimeTo90S, "s"), fmtValue(a.TimeTo95S, "s"))
	}
	sr := s.SuccessRate
	fmt.Fprintf(w, "updates: %d attempts, %d installed (%.1f%%), %d in progress, failures %s\n",
		sr.Attempts, sr.Successes, 100*sr.Overall, sr.InProgress, fmtCounts(sr.Failures))
	fmt.Fprintln(w, cdnLine(&s.CDN))
	if m, ok := s.CDN.ByDelivery["manifest"]; ok && m.BytesFullZip > 0 {
		fmt.Fprintf(w, "per-file: %d downloads, %d files fetched (%d failed), %d reused; %.1f MB instead of %.1f MB of zips (%.0f%% saved); install p50 %s (zip %s)\n",
			m.Downloads, s.CDN.ManifestFiles.Count, s.CDN.ManifestFiles.Failures, s.CDN.ManifestFiles.Reused,
			float64(m.Bytes)/1e6, float64(m.BytesFullZip)/1e6, 100*(1-float64(m.Bytes)/float64(m.BytesFullZip)),
			fmtDur(m.InstallTimeS.P50), fmtDur(s.CDN.ByDelivery["zip"].InstallTimeS.P50))
	}
	for _, name := range []string{"updates", "stats", "channel_self"} {
		if e, ok := s.API[name]; ok && e.Count > 0 {
			fmt.Fprintln(w, endpointLine(name, e))
		}
	}
	for _, g := range s.Rollback.GuardTrips {
		fmt.Fprintf(w, "guard tripped at %s: %s (%s)\n", fmtDur(g.AtS), g.Action, g.Detail)
	}
	if rb := s.Rollback; rb.Happened {
		fmt.Fprintf(w, "rollback (%s) of %s at %s: %d devices exposed, %d failed launches, 95%% back after %s (%.1f%% back at the end)\n",
			rb.Trigger, rb.Bundle, fmtDur(rb.AtS), rb.Exposed, rb.FailedLaunches, fmtValue(rb.TimeTo95BackS, "s"), 100*rb.FinalBackShare)
	}
	for _, x := range s.Experiments {
		for _, a := range x.Arms {
			fmt.Fprintf(w, "experiment %s: %s vs %s: adoption %+.1f pts [%+.1f, %+.1f], success rate %+.1f pts [%+.1f, %+.1f], 50%% after %s vs %s\n",
				x.Segment, a.Arm, x.Control, 100*a.Adoption.Diff, 100*a.Adoption.Interval[0], 100*a.Adoption.Interval[1],
				100*a.SuccessRate.Diff, 100*a.SuccessRate.Interval[0], 100*a.SuccessRate.Interval[1],
				fmtValue(a.TimeTo50S[1], "s"), fmtValue(a.TimeTo50S[0], "s"))
			if b := a.BytesPerDownload; b.ControlN > 0 && b.ArmN > 0 && b.Control != b.Arm {
				fmt.Fprintf(w, "  bytes per download %+.0f KB [%+.0f, %+.0f] (%.0f vs %.0f KB), install time %+.0f s [%+.0f, %+.0f]\n",
					b.Diff/1e3, b.Interval[0]/1e3, b.Interval[1]/1e3, b.Arm/1e3, b.Control/1e3,
					a.InstallTimeS.Diff, a.InstallTimeS.Interval[0], a.InstallTimeS.Interval[1])
			}
		}
	}
	h := s.Harness
	fmt.Fprintf(w, "harness: %d requests (%.0f/s), schedule lag p99 %.1f ms, %d late and %d dropped of %d events, peak %d in flight, %.1f CPU s (%.0f µs a request), peak RSS %.0f MiB, %.0f bytes of state per device\n",
		h.Requests, h.RequestsPerS, h.ScheduleLagP99Ms, h.LateEvents, h.DroppedEvents, h.Events+h.DroppedEvents, h.PeakInFlight,
		h.CPUSeconds, h.CPUUsPerRequest, float64(h.PeakRSSBytes)/(1<<20), h.BytesPerDevice)
	for _, sk := range s.SkippedActions {
		fmt.Fprintf(w, "skipped at %s: %s %s (%s)\n", fmtDur(sk.AtS), sk.Action, sk.Detail, sk.Error)
	}
	for _, t := range s.Timeline {
		switch {
		case t.Outcome == "error":
			fmt.Fprintf(w, "failed at %s: %s %s: %s\n", fmtDur(t.AtS), t.Action, t.Detail, t.Error)
		case t.Outcome == "skipped" && !slices.Contains(s.SkippedActions, t):
			// Moot steps (the target could carry them out, but had
			// nothing left to do) are only in the timeline.
			fmt.Fprintf(w, "skipped at %s: %s %s (%s)\n", fmtDur(t.AtS), t.Action, t.Detail, t.Error)
		}
	}
	for _, warn := range s.Warnings {
		fmt.Fprintln(w, "WARNING:", warn)
	}
	fmt.Fprintln(w)
	printTargets(w, s.Targets)
	fmt.Fprintf(w, "\nrun folder: %s (summary.json, series.json, histograms.json)\n", dir)
}

// printTargets prints the targets table, then why each target that did
// not pass did not (e.g. which segments held adoption back).
func printTargets(w io.Writer, targets []results.TargetResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tVALUE\tTHRESHOLD\tRESULT")
	for _, t := range targets {
		name := t.Name
		if t.Segment != "" && !strings.Contains(name, "@") {
			name += "@" + t.Segment
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, fmtValue(t.Value, t.Unit), fmtThreshold(t), t.Status.Word())
	}
	tw.Flush()
	for _, t := range targets {
		if t.Status != results.StatusPass && t.Note != "" {
			fmt.Fprintf(w, "%s: %s\n", t.Name, t.Note)
		}
	}
}

// printVerdict prints the run's verdict and why, last, where a reader of
// a CI log looks.
func printVerdict(w io.Writer, s *results.Summary) {
	fmt.Fprintf(w, "\nVERDICT: %s\n", s.Verdict)
	for _, r := range s.VerdictReasons {
		fmt.Fprintln(w, "  -", r)
	}
}

// endpointLine is one endpoint's requests, failures and latencies of the
// successful replies ("—" when none succeeded).
func endpointLine(name string, e results.Endpoint) string {
	line := fmt.Sprintf("/%s: %d requests, %d failed (%.1f%%)", name, e.Count, e.Errors, 100*e.ErrorRate)
	if e.Errors > 0 {
		line += " [" + format.Failures(e.Outcomes, e.Causes) + "]"
	}
	return line + fmt.Sprintf("; successful replies: mean %s, p95 %s, p99 %s", fmtMs(e.MeanMs), fmtMs(e.P95Ms), fmtMs(e.P99Ms))
}

// cdnLine is the downloads: successes, failures, time per download, and
// per 5 MB for bundles of at least 1 MB.
func cdnLine(c *results.CDN) string {
	line := fmt.Sprintf("CDN: %d downloads, %d failed", c.Downloads, c.Failures)
	if c.Failures > 0 {
		line += " [" + format.Failures(c.Outcomes, c.Causes) + "]"
	}
	if c.Downloads == 0 {
		return line
	}
	line += fmt.Sprintf("; per download p50 %.1f ms", c.MsPerDownload.P50)
	if c.MsPer5MB.Count > 0 {
		line += fmt.Sprintf(", per 5 MB p50 %.1f ms (modelled device network p50 %.0f ms)", c.MsPer5MB.P50, c.ModelledMsPer5MB.P50)
	} else {
		line += " (bundles under 1 MB: no time per 5 MB)"
	}
	return line
}

func fmtMs(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f ms", *v)
}

func fmtCounts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
