package results

// Verdict is a run's whole judgement: its targets, the health of the
// harness, the target's availability and, with a baseline, how the run
// compares with it.
type Verdict string

// The verdicts.
const (
	// VerdictPass: the server met every target the run could judge, and
	// the harness measured honestly.
	VerdictPass Verdict = "PASS"
	// VerdictFail: the server missed a target, was lost, or regressed
	// against the baseline beyond its tolerance.
	VerdictFail Verdict = "FAIL"
	// VerdictInconclusive: the harness could not measure honestly (the
	// generator fell behind, the run was cut short before a target could
	// be judged, timeline actions a target depends on were skipped), and
	// nothing it did measure shows the server failing.
	VerdictInconclusive Verdict = "INCONCLUSIVE"
)

// TargetStatus is how one target was judged.
type TargetStatus string

// The statuses of a target.
const (
	StatusPass TargetStatus = "pass"
	StatusFail TargetStatus = "fail"
	// StatusInconclusive: the run could not judge the target (no value
	// measured, the run ended before the target's window, the actions it
	// depends on were skipped, or it failed while the generator fell
	// behind and the failure could be the generator's).
	StatusInconclusive TargetStatus = "inconclusive"
	// StatusNA: the target does not apply to this run (e.g. the CDN
	// target when every bundle is under a megabyte, an endpoint the run
	// never called).
	StatusNA TargetStatus = "n/a"
)

// Word is how the status prints in tables: PASS, FAIL, INCONCLUSIVE,
// N/A.
func (s TargetStatus) Word() string {
	switch s {
	case StatusPass:
		return "PASS"
	case StatusInconclusive:
		return "INCONCLUSIVE"
	case StatusNA:
		return "N/A"
	}
	return "FAIL"
}

// Outage is a span in which the target answered nothing: every request
// that ended, failed. Times are seconds of the run's clock (virtual in a
// simulation, real in a load run).
type Outage struct {
	// LostAtS is the first failure of the span; DetectedAtS when the
	// span had lasted the detection window.
	LostAtS     float64 `json:"lost_at_s"`
	DetectedAtS float64 `json:"detected_at_s"`
	// RecoveredAtS is the first success after it; null when the target
	// never answered again.
	RecoveredAtS *float64 `json:"recovered_at_s"`
	// Failures in the span.
	Failures int64 `json:"failures"`
}

// BaselineCheck is the part of a baseline comparison the verdict rests
// on: which stored run, and every metric that regressed beyond its
// tolerance (one sentence each).
type BaselineCheck struct {
	RunID       string   `json:"run_id"`
	Regressions []string `json:"regressions"`
}
