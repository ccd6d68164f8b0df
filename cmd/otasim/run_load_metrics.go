package main

import (
	"strconv"

	"github.com/otasim/otasim/sim/load"
	"github.com/otasim/otasim/sim/results"
)

// loadSnapshot is a load test's progress as the monitoring exports it
// (--metrics-addr, --out prometheus-rw=URL): the series of a fleet run
// that a load test has. Its requests are /updates checks; its events are
// the checks the schedule released (none for the max profile), late and
// dropped as the summary's harness counts them; the backlog is those due
// and not yet taken by a worker. Time is real, so the virtual time is the
// elapsed. final, once the test has ended, adds the failures by cause,
// the replies by status and the checks left unsent, which the workers
// keep to themselves while they run.
func loadSnapshot(p load.Progress, devices int, final *load.Result) results.Progress {
	const ep = "updates"
	t := &results.Totals{
		Requests:      map[string]results.OutcomeCounts{ep: p.Outcomes},
		Latency:       map[string]results.Buckets{ep: p.Latency},
		ScheduleLag:   p.Lag,
		Events:        p.Due,
		LateEvents:    p.Late,
		DroppedEvents: p.Dropped,
		Backlog:       max(p.Due-p.Sent-p.Dropped, 0),
	}
	if final != nil {
		t.DroppedEvents += final.Unsent // as the summary's harness counts them
		t.Causes = map[string]map[string]int64{ep: final.Causes}
		codes := map[string]int64{}
		for s, n := range final.ByStatus {
			codes[strconv.Itoa(s)] = n
		}
		t.Codes = map[string]map[string]int64{ep: codes}
	}
	s := p.Elapsed.Seconds()
	out := results.Progress{VirtualS: s, DurationS: p.Length.Seconds(), WallS: s, Devices: devices,
		Requests: p.Done, Failures: p.Failed, InFlight: p.InFlight, LateEvents: p.Late, TargetLostAtS: p.LostAtS, Totals: t}
	if s > 0 {
		out.RequestsPerS = float64(p.Done) / s
	}
	return out
}
