package sim

import (
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/results"
)

// observe feeds the target-lost watch with a request that ended, at the
// virtual time it ended.
func (e *engine) observe(o results.Outcome) {
	lost, back := e.loss.Observe(e.virtualMs(), o == results.OutcomeSuccess)
	if lost || back {
		e.log.Info("target availability changed", "lost", lost, "virtual_s", float64(e.virtualMs())/1000)
	}
}

// manifestOutcome is a per-file download's outcome: its first failed
// file's, else a success. cut reports a download the device's modelled
// network dropped before its last file: the device's doing, in no count.
func manifestOutcome(mj *manifestJob) (o results.Outcome, cause string, cut bool) {
	for _, r := range mj.results {
		if r.Outcome != client.FileOK {
			o, cause = client.FileOutcome(r)
			return o, cause, false
		}
	}
	if mj.cutAt >= 0 && mj.cutAt < len(mj.fetch) {
		return results.OutcomeNetworkError, "device_network", true
	}
	return results.OutcomeSuccess, "", false
}
