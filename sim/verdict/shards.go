package verdict

import (
	"fmt"

	"github.com/otasim/otasim/sim/results"
)

// shardReasons names every shard of a merged run that did not measure its
// part of the fleet honestly.
func shardReasons(shards []results.ShardResult) []string {
	var out []string
	for _, sh := range shards {
		if sh.Status == results.ShardOK {
			continue
		}
		r := fmt.Sprintf("shard %d %s", sh.Index, map[string]string{results.ShardMissing: "is missing",
			results.ShardFailed: "failed", results.ShardFellBehind: "fell behind"}[sh.Status])
		if sh.Reason != "" {
			r += ": " + sh.Reason
		}
		out = append(out, r)
	}
	return out
}

// Bounds beyond which the generator is said to have fallen behind.
const (
	LagBoundMs     = 250.0
	LateShareBound = 0.01
)

// FellBehind gives each limit of the generator's health that tripped,
// with its measured value; none when it kept its schedule. Events still
// due at the end of a run that was not interrupted were never handled
// because the workers could not keep up.
func FellBehind(h *results.Harness, interrupted bool) []string {
	var out []string
	if h.ScheduleLagP99Ms > LagBoundMs {
		out = append(out, fmt.Sprintf("schedule lag p99 %.0f ms > %.0f ms", h.ScheduleLagP99Ms, LagBoundMs))
	}
	if h.Events > 0 && float64(h.LateEvents) > LateShareBound*float64(h.Events) {
		out = append(out, fmt.Sprintf("%.1f%% of events late (more than %.0f ms) > %.0f%%",
			100*float64(h.LateEvents)/float64(h.Events), h.LateBoundMs, 100*LateShareBound))
	}
	if due := h.Events + h.DroppedEvents; !interrupted && due > 0 && float64(h.DroppedEvents) > LateShareBound*float64(due) {
		out = append(out, fmt.Sprintf("%.1f%% of the events due before the end never handled > %.0f%%",
			100*float64(h.DroppedEvents)/float64(due), 100*LateShareBound))
	}
	return out
}
