package main

import (
	"strings"
	"testing"

	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/verdict"
)

// isVerdict reports whether an exit code is a run's verdict (PASS, FAIL,
// INCONCLUSIVE), not an error or bad usage: for tests whose point is
// not the verdict.
func isVerdict(code int) bool {
	return code == exitOK || code == exitTargetFail || code == exitInconclusive
}

// exitFor is the exit code of a verdict.
func exitFor(v results.Verdict) int {
	switch v {
	case results.VerdictPass:
		return exitOK
	case results.VerdictInconclusive:
		return exitInconclusive
	}
	return exitTargetFail
}

// wantVerdict checks a run's verdict and exit code. A machine this busy
// (the whole suite under a CPU hog) can starve the generator of CPU; the
// honest verdict is then INCONCLUSIVE, so a run expected to PASS, or to
// FAIL on a failure the generator's delay could explain (latency, a
// regression), may instead be INCONCLUSIVE — but only with the generator
// named as the reason, and never PASS. A robust failure (errors, the
// target lost) must FAIL whatever the machine.
func wantVerdict(t *testing.T, s *results.Summary, code int, want results.Verdict, robust bool, reason string) {
	t.Helper()
	got := s.Verdict
	starved := s.Harness.FellBehind && want != results.VerdictInconclusive && !robust
	if starved && got == results.VerdictInconclusive {
		if len(s.VerdictReasons) == 0 || !strings.HasPrefix(s.VerdictReasons[0], "the load generator fell behind") {
			t.Errorf("INCONCLUSIVE (the generator fell behind) without saying so first: %q", s.VerdictReasons)
		}
		t.Logf("the generator fell behind on this machine: INCONCLUSIVE instead of %s (%s)", want, strings.Join(s.VerdictReasons, "; "))
		want = results.VerdictInconclusive
	}
	if got != want || code != exitFor(want) {
		t.Fatalf("verdict %s, exit %d; want %s, exit %d; reasons %q", got, code, want, exitFor(want), s.VerdictReasons)
	}
	// A starved run's reasons are the starvation's and what the machine
	// made of the rest, not the ones the test provoked.
	if reason != "" && !starved && !strings.Contains(strings.Join(s.VerdictReasons, "\n"), reason) {
		t.Errorf("reasons %q lack %q", s.VerdictReasons, reason)
	}
	// The stored verdict is what the stored summary says again.
	again := *s
	again.Targets = append([]results.TargetResult(nil), s.Targets...)
	verdict.Decide(&again)
	if again.Verdict != got {
		t.Errorf("judged again the summary says %s, stored %s", again.Verdict, got)
	}
}

// skipIfBehind skips the rest of a test whose run fell behind its
// schedule: what the test checks next (a step's timing, a push delivered
// in its session) is the schedule's, which a starved generator did not
// keep. The run's verdict says so too (INCONCLUSIVE).
func skipIfBehind(t *testing.T, s *results.Summary, what string) {
	t.Helper()
	if s.Harness.FellBehind {
		t.Skipf("the generator fell behind on this machine (%s): %s cannot be judged", strings.Join(s.Harness.Reasons, "; "), what)
	}
}

// The summary of a run that judged no bundle has no "adoption of :" line,
// an endpoint without a successful reply prints "—" for its latencies,
// and the verdict and its reasons come last.
func TestPrintSummaryWithoutValues(t *testing.T) {
	var e results.Endpoint
	e.Count, e.Errors, e.ErrorRate = 5, 5, 1
	e.Outcomes[results.OutcomeHTTPError] = 5
	e.Causes = map[string]int64{"http_501": 5}
	s := &results.Summary{Scenario: "x", API: map[string]results.Endpoint{"updates": e},
		Verdict: results.VerdictFail, VerdictReasons: []string{"api_errors.updates: 100.0% > 1.0%"}}
	var b strings.Builder
	printSummary(&b, s, "dir")
	printVerdict(&b, s)
	out := b.String()
	for _, bad := range []string{"adoption of", "mean 0.0"} {
		if strings.Contains(out, bad) {
			t.Errorf("output has %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{"/updates: 5 requests, 5 failed (100.0%) [http_error 5; http_501 5]; successful replies: mean —",
		"VERDICT: FAIL\n  - api_errors.updates: 100.0% > 1.0%\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
