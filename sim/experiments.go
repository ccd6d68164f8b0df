package sim

import (
	"math"

	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
)

// experiments compares the arms of every split segment, the first arm
// being the control.
func (e *engine) experiments(sum *results.Summary) []results.Experiment {
	out := []results.Experiment{}
	bySeg := map[string][]string{}
	var order []string
	for _, c := range e.pop.Cohorts {
		if c.Arm == "" {
			continue
		}
		if _, ok := bySeg[c.Segment]; !ok {
			order = append(order, c.Segment)
		}
		bySeg[c.Segment] = append(bySeg[c.Segment], c.Name)
	}
	for _, seg := range order {
		arms := bySeg[seg]
		if len(arms) < 2 {
			continue
		}
		ctl := arms[0]
		ctlIdx := e.cohortIndex(ctl)
		x := results.Experiment{Segment: seg, Control: ctl}
		ca := sum.Adoption.BySegment[ctl]
		cs := sum.SuccessRate.BySegment[ctl]
		for _, arm := range arms[1:] {
			aa := sum.Adoption.BySegment[arm]
			as := sum.SuccessRate.BySegment[arm]
			bytes, install := e.deliv.Compare(ctlIdx, e.cohortIndex(arm))
			x.Arms = append(x.Arms, results.ArmComparison{
				Arm: arm, BytesPerDownload: bytes, InstallTimeS: install,
				Adoption: difference(shareCount(ca.FinalShare, ca.ActiveDevices), int64(ca.ActiveDevices),
					shareCount(aa.FinalShare, aa.ActiveDevices), int64(aa.ActiveDevices)),
				SuccessRate: difference(cs.Successes, cs.Attempts, as.Successes, as.Attempts),
				TimeTo50S:   [2]*float64{ca.TimeTo50S, aa.TimeTo50S},
			})
		}
		out = append(out, x)
	}
	return out
}

func shareCount(share float64, n int) int64 { return int64(math.Round(share * float64(n))) }

// difference is (k2/n2 − k1/n1) with Newcombe's hybrid score interval.
func difference(k1, n1, k2, n2 int64) results.Difference {
	d := results.Difference{ControlN: n1, ArmN: n2}
	if n1 == 0 || n2 == 0 {
		return d
	}
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	w1, w2 := metrics.Wilson(k1, n1), metrics.Wilson(k2, n2)
	d.Control, d.Arm, d.Diff = p1, p2, p2-p1
	d.Interval = [2]float64{
		d.Diff - math.Sqrt((p2-w2[0])*(p2-w2[0])+(w1[1]-p1)*(w1[1]-p1)),
		d.Diff + math.Sqrt((w2[1]-p2)*(w2[1]-p2)+(p1-w1[0])*(p1-w1[0])),
	}
	return d
}

// cohortIndex is the index of a cohort by name.
func (e *engine) cohortIndex(name string) int {
	for i, c := range e.cohorts {
		if c == name {
			return i
		}
	}
	return 0
}
