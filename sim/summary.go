package sim

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/population"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/vclock"
	"github.com/otasim/otasim/sim/verdict"
)

func (e *engine) summarise(ctx context.Context, startWall time.Time, interrupted bool) (*results.Run, error) {
	endV := e.stoppedMs
	sum := results.Summary{
		Schema: results.SchemaSummary, RunID: e.cfg.RunID, Scenario: e.sc.Name, ScenarioSource: e.sc.Source,
		Seed: e.set.seed, Devices: e.pop.N, Speed: e.set.speed,
		VirtualSeconds: float64(endV) / 1000, WallSeconds: e.now().Sub(startWall).Seconds(),
		Interrupted: interrupted, StartedAt: startWall.UTC().Format(time.RFC3339), VirtualEpoch: vclock.Epoch().Format(time.RFC3339),
		Server: e.cfg.Server, SkippedActions: []results.ActionResult{}, Warnings: []string{},
	}
	if e.cfg.Shard.Sharded() {
		sum.Shard = e.cfg.Shard.String()
	}
	for c, co := range e.pop.Cohorts {
		_ = c
		ci := results.CohortInfo{Name: co.Name, Segment: co.Segment, Arm: co.Arm, Devices: co.Devices, Joining: co.Joining,
			SessionsPerDay: co.SessionsPerDay}
		if co.HasWindow {
			ci.MaintenanceWindow = fmt.Sprintf("%02d:%02d-%02d:%02d", co.WindowStart/60, co.WindowStart%60, co.WindowEnd/60, co.WindowEnd%60)
		}
		sum.Cohorts = append(sum.Cohorts, ci)
	}
	for k, name := range e.bundles.names {
		sum.Bundles = append(sum.Bundles, results.BundleInfo{Version: name, Size: e.bundles.size[k], SHA256: e.bundles.sha[k]})
	}
	sum.API = e.rec.APISummary(e.cohorts)
	sum.CDN = e.rec.CDN(e.pop.Profiles)
	sum.CDN.Deliveries = e.deliv.Summary(e.pop.Profiles)
	sum.SuccessRate = e.rec.SuccessRate(e.cohorts)
	sum.InstallTime = e.rec.InstallTime(e.cohorts)
	sum.Engagement = e.rec.EngagementSummary(e.cohorts)
	sum.Adoption = e.adoption()
	sum.Rollback = e.rollbackSummary(sum.Engagement)
	sum.Experiments = e.experiments(&sum)
	sum.Timeline = e.timeline.outcomes
	if sum.Timeline == nil {
		sum.Timeline = []results.ActionResult{}
	}
	sort.SliceStable(sum.Timeline, func(a, b int) bool { return sum.Timeline[a].AtS < sum.Timeline[b].AtS })
	sum.SkippedActions = append(sum.SkippedActions, e.timeline.skipped...)

	// Harness health.
	h := &sum.Harness
	e.rec.Harness(h)
	h.LateBoundMs = float64(lateBound.Milliseconds())
	h.Workers, h.Connections = e.set.workers, e.set.connections
	// Events due before the stop and never handled; one due at the stop
	// itself is not the run's (a maintenance window opening at exactly
	// 24:00 of a 24 h run is queued behind the end event and was counted
	// as dropped in every such run).
	for e.q.Len() > 0 {
		ev, _ := e.q.Pop()
		if ev.At < endV && ev.Device != noDevice {
			h.DroppedEvents++
		}
	}
	h.CPUSeconds = cpuSeconds()
	if h.Requests > 0 {
		h.CPUUsPerRequest = h.CPUSeconds * 1e6 / float64(h.Requests)
	}
	h.PushSockets, h.PushMessages = e.push.opened, e.push.pushed
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.MemoryBytes = ms.HeapInuse
	h.PeakRSSBytes = peakRSS()
	h.DeviceStateBytes = e.deviceStateBytes()
	if e.pop.N > 0 {
		h.BytesPerDevice = float64(h.DeviceStateBytes) / float64(e.pop.N)
	}
	if wall := e.now().Sub(startWall).Seconds(); wall > 0 {
		h.RequestsPerS = float64(h.Requests) / wall
	}
	// Events still due at the end of an uninterrupted run were never
	// handled because the workers could not keep up.
	h.Reasons = verdict.FellBehind(h, interrupted || e.abortedBy != "")
	h.FellBehind = len(h.Reasons) > 0
	if h.FellBehind {
		e.warnings = append(e.warnings, "THE LOAD GENERATOR FELL BEHIND: "+strings.Join(h.Reasons, "; ")+
			"; latencies include the generator's own delay")
	}
	h.Abandoned = e.abandoned
	if e.push.skipped > 0 {
		e.warnings = append(e.warnings, fmt.Sprintf("%d sessions polled instead of holding a push socket (more than %d open)", e.push.skipped, maxPushConns))
	}
	if e.push.nFailed > 0 {
		e.warnings = append(e.warnings, fmt.Sprintf("%d push sockets could not be opened", e.push.nFailed))
	}
	if e.stats.dropped > 0 {
		e.warnings = append(e.warnings, fmt.Sprintf("%d stats events were dropped (queue full, retries exhausted or refused)", e.stats.dropped))
	}
	if n := e.rec.Clamped(); n > 0 {
		e.warnings = append(e.warnings, fmt.Sprintf("%d measurements were beyond a histogram's range and recorded at its maximum", n))
	}
	if sum.Adoption.FirstActionS == nil && sum.Adoption.Bundle != "" {
		e.warnings = append(e.warnings, "the timeline never releases the judged bundle "+sum.Adoption.Bundle)
	}

	sum.FleetCounts = map[string]results.BundleCounts{}
	for k, v := range e.stats.delivered {
		sum.FleetCounts[k] = *v
	}
	if e.cfg.Admin != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		sum.ServerCounts = map[string]results.BundleCounts{}
		for _, name := range e.bundles.names {
			c, err := e.cfg.Admin.BundleCounts(cctx, e.sc.App.ID, name)
			if err != nil {
				e.warnings = append(e.warnings, "reading the server's counts of "+name+": "+err.Error())
				continue
			}
			if c.Failures == nil {
				c.Failures = map[string]int64{}
			}
			sum.ServerCounts[name] = results.BundleCounts{Installs: c.Installs, Failures: c.Failures}
		}
		cancel()
	}
	sum.Warnings = append(sum.Warnings, e.warnings...)
	sum.TargetLost = e.loss.Outages()
	sum.AbortedBy = e.abortedBy
	sum.Targets = verdict.Targets(e.sc.TargetSpecs(), &sum)
	verdict.Decide(&sum)
	hs, err := e.rec.Histograms(e.cohorts, e.pop.Profiles)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	return &results.Run{Summary: sum, Series: e.series.s, Histograms: hs}, nil
}

// cpuSeconds is the CPU time (user and system) the process used, from
// the operating system (the Go runtime's own estimate counts time its
// threads waited for a busy machine).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// peakRSS is the process's peak resident set in bytes (0 when the
// operating system does not tell).
func peakRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil || ru.Maxrss <= 0 {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return uint64(ru.Maxrss) // bytes there, KiB elsewhere
	}
	return uint64(ru.Maxrss) << 10
}

// deviceStateBytes is what the engine holds for every device: the arrays
// indexed by device (the side state's and stats queues' indexes among
// them) and the event heap (sized for one event a device).
func (e *engine) deviceStateBytes() int64 {
	return int64(cap(e.devs))*int64(unsafe.Sizeof(device.State{})) +
		int64(cap(e.attrs))*int64(unsafe.Sizeof(population.Attrs{})) +
		int64(cap(e.ran))*int64(unsafe.Sizeof(uint64(0))) +
		int64(cap(e.cached))*int64(unsafe.Sizeof(uint64(0))) +
		int64(cap(e.side.slot)+cap(e.stats.queues.slot))*4 +
		e.q.Bytes()
}

// adoption reads the judged bundle's adoption off the series.
func (e *engine) adoption() results.Adoption {
	var first *float64
	if t := &e.timeline; t.firstMs >= 0 {
		v := float64(t.firstMs) / 1000
		first = &v
	}
	return results.AdoptionOf(&e.series.s, e.timeline.judged, first, e.cohorts, e.judged)
}

func (e *engine) rollbackSummary(eng map[string]map[string]results.Engagement) results.Rollback {
	rb := &e.timeline.rb
	out := results.Rollback{GuardTrips: e.timeline.trips}
	if !rb.happened {
		return out
	}
	out.Happened, out.Trigger, out.Bundle, out.AtS = true, rb.trigger, rb.name, float64(rb.atMs)/1000
	out.Exposed = rb.exposed
	for _, m := range eng {
		out.FailedLaunches += m[rb.name].FailedLaunches
	}
	if rb.exposed > 0 {
		out.FinalBackShare = 1 - float64(e.runningOn(rb.bundle))/float64(rb.exposed)
	}
	if rb.doneMs >= 0 {
		v := float64(rb.doneMs-rb.atMs) / 1000
		out.TimeTo95BackS = &v
	}
	return out
}

// judged reports whether a bundle counts as the judged one: it is, or it
// has the same files (same_files_as: the same release delivered another
// way).
func (e *engine) judged(name string) bool {
	return name != "" && e.timeline.judged != "" && e.filesOf(name) == e.filesOf(e.timeline.judged)
}

// filesOf is the bundle whose files a bundle has.
func (e *engine) filesOf(name string) string {
	if b, ok := e.sc.BundleByVersion(name); ok && b.SameFilesAs != "" {
		return b.SameFilesAs
	}
	return name
}
