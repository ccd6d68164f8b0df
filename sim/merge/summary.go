package merge

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/verdict"
)

// summary makes the fleet's summary.json from the shards'; the targets
// and the verdict are judged after.
func summary(cfg *Config, runs []*results.Run, hs hists, se *results.Series) *results.Summary {
	base := &runs[0].Summary
	// carrier carried out the timeline: shard 0, or when it is missing
	// the first present shard, which followed the same steps.
	carrier := base
	s := &results.Summary{Schema: results.SchemaSummary, RunID: cfg.RunID, Scenario: base.Scenario,
		ScenarioSource: base.ScenarioSource, Seed: base.Seed, Speed: base.Speed, VirtualEpoch: base.VirtualEpoch,
		StartedAt: base.StartedAt, Server: base.Server, Bundles: base.Bundles, Warnings: []string{},
		Cohorts: slices.Clone(base.Cohorts), FleetCounts: map[string]results.BundleCounts{}, TargetLost: []results.Outage{}}
	if s.RunID == "" {
		s.RunID = base.RunID
	}
	for c := range s.Cohorts {
		s.Cohorts[c].Devices, s.Cohorts[c].Joining = 0, 0
	}
	var serverInstalls int64 = -1
	for _, r := range runs {
		x := &r.Summary
		s.Devices += x.Devices
		s.VirtualSeconds = max(s.VirtualSeconds, x.VirtualSeconds)
		s.WallSeconds = max(s.WallSeconds, x.WallSeconds)
		s.StartedAt = min(s.StartedAt, x.StartedAt) // RFC 3339 in UTC sorts as time
		s.Interrupted = s.Interrupted || x.Interrupted
		if s.AbortedBy == "" {
			s.AbortedBy = x.AbortedBy
		}
		s.TargetLost = append(s.TargetLost, x.TargetLost...)
		for _, w := range x.Warnings {
			s.Warnings = append(s.Warnings, "shard "+x.Shard+": "+w)
		}
		for c := range min(len(s.Cohorts), len(x.Cohorts)) {
			s.Cohorts[c].Devices += x.Cohorts[c].Devices
			s.Cohorts[c].Joining += x.Cohorts[c].Joining
		}
		for b, n := range x.FleetCounts {
			m := s.FleetCounts[b]
			m.Installs += n.Installs
			m.Failures = addCounts(m.Failures, n.Failures)
			s.FleetCounts[b] = m
		}
		// Every shard read the same server's counts as it ended: the
		// last reading (the most installs) is the server's at the end.
		if x.ServerCounts != nil {
			var n int64
			for _, c := range x.ServerCounts {
				n += c.Installs
			}
			if n > serverInstalls {
				serverInstalls, s.ServerCounts = n, x.ServerCounts
			}
		}
		if x.Shard == "" || strings.HasPrefix(x.Shard, "0/") {
			carrier = x
		}
	}
	sort.Slice(s.TargetLost, func(a, b int) bool { return s.TargetLost[a].LostAtS < s.TargetLost[b].LostAtS })
	s.Timeline, s.SkippedActions = carrier.Timeline, carrier.SkippedActions
	if cfg.Timeline != nil {
		s.Timeline, s.SkippedActions = cfg.Timeline, cfg.Skipped
	}
	if s.SkippedActions == nil {
		s.SkippedActions = []results.ActionResult{}
	}
	cohorts := make([]string, len(s.Cohorts))
	for c := range s.Cohorts {
		cohorts[c] = s.Cohorts[c].Name
	}
	s.API = api(runs, hs)
	s.CDN = cdn(runs, hs, &s.Warnings)
	s.InstallTime = installTime(hs, cohorts)
	s.SuccessRate = successRate(runs)
	s.Engagement = engagement(runs)
	s.Adoption = adoption(cfg, base.Adoption, se, cohorts)
	s.Rollback = rollback(runs, carrier, se)
	s.Experiments = []results.Experiment{}
	for _, r := range runs[:1] {
		if len(r.Summary.Experiments) > 0 {
			s.Warnings = append(s.Warnings, "the experiments' comparisons are not merged from shards: see each shard's summary")
		}
	}
	s.Harness = harness(runs, hs, s.Interrupted || s.AbortedBy != "")
	if s.Harness.FellBehind {
		s.Warnings = append(s.Warnings, "THE LOAD GENERATOR FELL BEHIND: "+strings.Join(s.Harness.Reasons, "; ")+
			"; latencies include the generator's own delay")
	}
	if s.Adoption.FirstActionS == nil && s.Adoption.Bundle != "" {
		s.Warnings = append(s.Warnings, "the timeline never releases the judged bundle "+s.Adoption.Bundle)
	}
	return s
}

func addCounts(dst, src map[string]int64) map[string]int64 {
	if dst == nil {
		dst = map[string]int64{}
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// api merges the endpoints: counts summed, latencies from the merged
// histograms.
func api(runs []*results.Run, hs hists) map[string]results.Endpoint {
	out := map[string]results.Endpoint{}
	for _, name := range metrics.EndpointNames() {
		ep := results.Endpoint{ByStatus: map[string]int64{}, BySegment: map[string]results.Endpoint{}}
		segs := map[string]*results.Endpoint{}
		for _, r := range runs {
			x := r.Summary.API[name]
			ep.Count += x.Count
			ep.Errors += x.Errors
			ep.Outcomes.Add(x.Outcomes)
			ep.ByStatus = addCounts(ep.ByStatus, x.ByStatus)
			if len(x.Causes) > 0 {
				ep.Causes = addCounts(ep.Causes, x.Causes)
			}
			for seg, y := range x.BySegment {
				if segs[seg] == nil {
					segs[seg] = &results.Endpoint{}
				}
				segs[seg].Count += y.Count
				segs[seg].Errors += y.Errors
			}
		}
		ep.ErrorRate = results.ErrorRate(ep.Outcomes)
		ep.SetLatency(hs.quantiles("api."+name+".latency", 1e-3))
		svc := hs.quantiles("api."+name+".service", 1e-3)
		ep.Service = &svc
		if ep.Errors > 0 {
			f := hs.quantiles("api."+name+".failed", 1e-3)
			ep.Failed = &f
		}
		for seg, y := range segs {
			y.ErrorRate = float64(y.Errors) / float64(max(y.Count, 1))
			y.Outcomes[results.OutcomeSuccess] = y.Count - y.Errors
			y.SetLatency(hs.quantiles("api."+name+".latency.cohort."+seg, 1e-3))
			ep.BySegment[seg] = *y
		}
		out[name] = ep
	}
	return out
}

// profiles are the network profiles some shard's histograms name.
func (h hists) profiles() []string {
	seen := map[string]bool{}
	for name := range h {
		if p, ok := strings.CutPrefix(name, "cdn.ms_per_download.profile."); ok {
			seen[p] = true
		}
		if p, ok := strings.CutPrefix(name, "cdn.failed.profile."); ok {
			seen[p] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func (h hists) all(kind string, profiles []string) results.Quantiles {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = "cdn." + kind + ".profile." + p
	}
	m := h.merged(names...)
	if m == nil {
		return results.Quantiles{}
	}
	return metrics.Quantiles(m, 1e-3)
}

// cdn merges bundle delivery.
func cdn(runs []*results.Run, hs hists, warnings *[]string) results.CDN {
	out := results.CDN{ByProfile: map[string]results.CDNProfile{}, Causes: map[string]int64{}}
	type acc struct {
		downloads, failures int64
		thrWeighted         float64
	}
	byProfile := map[string]*acc{}
	var deliv []results.Deliveries
	for _, r := range runs {
		x := &r.Summary.CDN
		out.Downloads += x.Downloads
		out.Failures += x.Failures
		out.Bytes += x.Bytes
		out.Outcomes.Add(x.Outcomes)
		out.Causes = addCounts(out.Causes, x.Causes)
		for p, y := range x.ByProfile {
			if byProfile[p] == nil {
				byProfile[p] = &acc{}
			}
			a := byProfile[p]
			a.downloads += y.Downloads
			a.failures += y.Failures
			a.thrWeighted += y.ThroughputMBps * float64(y.Downloads)
		}
		deliv = append(deliv, x.Deliveries)
	}
	out.ErrorRate = results.ErrorRate(out.Outcomes)
	ps := hs.profiles()
	out.MsPerDownload, out.MsPer5MB = hs.all("ms_per_download", ps), hs.all("ms_per_5mb", ps)
	out.TTFBMs, out.ModelledMsPer5MB, out.FailedMs = hs.all("ttfb", ps), hs.all("modelled_ms_per_5mb", ps), hs.all("failed", ps)
	for p, a := range byProfile {
		q := func(kind string) results.Quantiles { return hs.quantiles("cdn."+kind+".profile."+p, 1e-3) }
		cp := results.CDNProfile{Downloads: a.downloads, Failures: a.failures, MsPerDownload: q("ms_per_download"),
			MsPer5MB: q("ms_per_5mb"), TTFBMs: q("ttfb"), ModelledMsPer5MB: q("modelled_ms_per_5mb")}
		if a.downloads > 0 {
			cp.ThroughputMBps = a.thrWeighted / float64(a.downloads)
		}
		out.ByProfile[p] = cp
	}
	var approx bool
	out.Deliveries, approx = deliveries(deliv)
	if approx {
		*warnings = append(*warnings, "merged from shards: the per-delivery install times and per-file latencies are exact in count, mean and max; their percentiles are the shards' weighted by count (these histograms are not kept); each profile's throughput is the shards' weighted by downloads")
	}
	return out
}

// deliveries merges the zip against per-file comparison; it reports
// whether a percentile had to be approximated.
func deliveries(ds []results.Deliveries) (results.Deliveries, bool) {
	out := results.Deliveries{ByDelivery: map[string]results.Delivery{}}
	approx := false
	var files []results.Quantiles
	installs := map[string][]results.Quantiles{}
	profInstalls := map[string]map[string][]results.Quantiles{}
	for _, d := range ds {
		out.BytesDownloaded += d.BytesDownloaded
		out.BytesFullZip += d.BytesFullZip
		out.ManifestFiles.Count += d.ManifestFiles.Count
		out.ManifestFiles.Failures += d.ManifestFiles.Failures
		out.ManifestFiles.Reused += d.ManifestFiles.Reused
		files = append(files, d.ManifestFiles.LatencyMs)
		for k, x := range d.ByDelivery {
			y := out.ByDelivery[k]
			y.Downloads += x.Downloads
			y.Failures += x.Failures
			y.Bytes += x.Bytes
			y.BytesFullZip += x.BytesFullZip
			installs[k] = append(installs[k], x.InstallTimeS)
			if y.ByProfile == nil {
				y.ByProfile = map[string]results.DeliveryProfile{}
				profInstalls[k] = map[string][]results.Quantiles{}
			}
			for p, xp := range x.ByProfile {
				yp := y.ByProfile[p]
				yp.Downloads += xp.Downloads
				yp.Bytes += xp.Bytes
				yp.BytesFullZip += xp.BytesFullZip
				y.ByProfile[p] = yp
				profInstalls[k][p] = append(profInstalls[k][p], xp.InstallTimeS)
			}
			out.ByDelivery[k] = y
		}
	}
	var a bool
	out.ManifestFiles.LatencyMs, a = weighted(files)
	approx = approx || a
	for k, y := range out.ByDelivery {
		y.InstallTimeS, a = weighted(installs[k])
		approx = approx || a
		for p, yp := range y.ByProfile {
			yp.InstallTimeS, a = weighted(profInstalls[k][p])
			approx = approx || a
			y.ByProfile[p] = yp
		}
		out.ByDelivery[k] = y
	}
	return out, approx
}

// weighted merges summaries whose histograms were not kept: count, mean
// and max exactly, the percentiles weighted by count (reported true when
// more than one shard had values).
func weighted(qs []results.Quantiles) (results.Quantiles, bool) {
	var out results.Quantiles
	var withValues int
	for _, q := range qs {
		if q.Count == 0 {
			continue
		}
		withValues++
		w := float64(q.Count)
		out.Count += q.Count
		out.Mean += q.Mean * w
		out.P50 += q.P50 * w
		out.P90 += q.P90 * w
		out.P95 += q.P95 * w
		out.P99 += q.P99 * w
		out.Max = max(out.Max, q.Max)
	}
	if out.Count > 0 {
		n := float64(out.Count)
		out.Mean, out.P50, out.P90, out.P95, out.P99 = out.Mean/n, out.P50/n, out.P90/n, out.P95/n, out.P99/n
	}
	return out, withValues > 1
}

// installTime comes from the merged install-time histograms.
func installTime(hs hists, cohorts []string) map[string]results.Quantiles {
	out := map[string]results.Quantiles{}
	var names []string
	for _, c := range cohorts {
		name := "install_time.cohort." + c
		names = append(names, name)
		if q := hs.quantiles(name, 1e-3); q.Count > 0 {
			out[c] = q
		}
	}
	out["all"] = results.Quantiles{}
	if m := hs.merged(names...); m != nil {
		out["all"] = metrics.Quantiles(m, 1e-3)
	}
	return out
}

// successRate sums the attempts and outcomes and computes the rates and
// their Wilson intervals again.
func successRate(runs []*results.Run) results.SuccessRate {
	out := results.SuccessRate{Failures: map[string]int64{}, BySegment: map[string]results.SuccessCount{}, ByBundle: map[string]results.SuccessCount{}}
	add := func(m map[string]results.SuccessCount, k string, x results.SuccessCount) {
		y := m[k]
		y.Attempts += x.Attempts
		y.Successes += x.Successes
		y.InProgress += x.InProgress
		y.Failures = addCounts(y.Failures, x.Failures)
		m[k] = y
	}
	for _, r := range runs {
		x := &r.Summary.SuccessRate
		out.Attempts += x.Attempts
		out.Successes += x.Successes
		out.InProgress += x.InProgress
		out.Failures = addCounts(out.Failures, x.Failures)
		for k, v := range x.BySegment {
			add(out.BySegment, k, v)
		}
		for k, v := range x.ByBundle {
			add(out.ByBundle, k, v)
		}
	}
	rate := func(c *results.SuccessCount) {
		if c.Attempts > 0 {
			c.Rate = float64(c.Successes) / float64(c.Attempts)
			c.Interval = metrics.Wilson(c.Successes, c.Attempts)
		}
	}
	for _, m := range []map[string]results.SuccessCount{out.BySegment, out.ByBundle} {
		for k, c := range m {
			rate(&c)
			m[k] = c
		}
	}
	all := results.SuccessCount{Attempts: out.Attempts, Successes: out.Successes}
	rate(&all)
	out.Overall, out.Interval = all.Rate, all.Interval
	return out
}

// engagement sums sessions and errors; a mean session times its count is
// the shard's total session time.
func engagement(runs []*results.Run) map[string]map[string]results.Engagement {
	out := map[string]map[string]results.Engagement{}
	total := map[[2]string]float64{}
	for _, r := range runs {
		for c, m := range r.Summary.Engagement {
			if out[c] == nil {
				out[c] = map[string]results.Engagement{}
			}
			for b, x := range m {
				y := out[c][b]
				y.Sessions += x.Sessions
				y.JSErrors += x.JSErrors
				y.FailedLaunches += x.FailedLaunches
				total[[2]string{c, b}] += math.Round(x.MeanSessionS*float64(x.Sessions)*1000) / 1000
				out[c][b] = y
			}
		}
	}
	for c, m := range out {
		for b, y := range m {
			if y.Sessions > 0 {
				y.MeanSessionS = total[[2]string{c, b}] / float64(y.Sessions)
				y.ErrorRate = float64(y.JSErrors) / float64(y.Sessions)
			}
			m[b] = y
		}
	}
	return out
}

// adoption reads the judged bundle's adoption off the merged series, as
// a single run does.
func adoption(cfg *Config, first results.Adoption, se *results.Series, cohorts []string) results.Adoption {
	filesOf := func(name string) string {
		if b, ok := cfg.Scenario.BundleByVersion(name); ok && b.SameFilesAs != "" {
			return b.SameFilesAs
		}
		return name
	}
	judged := func(name string) bool { return name != "" && filesOf(name) == filesOf(first.Bundle) }
	return results.AdoptionOf(se, first.Bundle, first.FirstActionS, cohorts, judged)
}

// rollback sums the devices exposed to the rolled-back bundle; the time
// to 95% back is read off the merged exposure series (to the sample).
func rollback(runs []*results.Run, carrier *results.Summary, se *results.Series) results.Rollback {
	out := results.Rollback{GuardTrips: carrier.Rollback.GuardTrips}
	for _, r := range runs {
		x := &r.Summary.Rollback
		if !x.Happened {
			continue
		}
		if !out.Happened {
			out.Happened, out.Trigger, out.Bundle, out.AtS = true, x.Trigger, x.Bundle, x.AtS
		}
		out.Exposed += x.Exposed
		out.FailedLaunches += x.FailedLaunches
	}
	if !out.Happened || out.Exposed == 0 {
		return out
	}
	if n := len(se.RollbackExposure); n > 0 {
		out.FinalBackShare = 1 - float64(se.RollbackExposure[n-1])/float64(out.Exposed)
	}
	for k, t := range se.T {
		if t >= out.AtS && k < len(se.RollbackExposure) && float64(se.RollbackExposure[k]) <= 0.05*float64(out.Exposed) {
			v := t - out.AtS
			out.TimeTo95BackS = &v
			break
		}
	}
	return out
}

// harness sums the generator's health; the lag comes from the merged
// histogram, and the limits are judged again on the fleet.
func harness(runs []*results.Run, hs hists, interrupted bool) results.Harness {
	var h results.Harness
	var wall float64
	for _, r := range runs {
		x := &r.Summary.Harness
		h.LateEvents += x.LateEvents
		h.LateBoundMs = x.LateBoundMs
		h.DroppedEvents += x.DroppedEvents
		h.Events += x.Events
		h.Requests += x.Requests
		h.PeakInFlight += x.PeakInFlight
		h.Workers += x.Workers
		h.Connections += x.Connections
		h.CPUSeconds += x.CPUSeconds
		h.Abandoned += x.Abandoned
		h.PushSockets += x.PushSockets
		h.PushMessages += x.PushMessages
		h.MemoryBytes += x.MemoryBytes
		h.PeakRSSBytes += x.PeakRSSBytes
		h.DeviceStateBytes += x.DeviceStateBytes
		wall = max(wall, r.Summary.WallSeconds)
	}
	if lag := hs["schedule_lag"]; lag != nil {
		h.ScheduleLagP99Ms = float64(lag.ValueAtQuantile(99)) / 1e3
		h.ScheduleLagMaxMs = float64(lag.Max()) / 1e3
	}
	var devices int
	for _, r := range runs {
		devices += r.Summary.Devices
	}
	if devices > 0 {
		h.BytesPerDevice = float64(h.DeviceStateBytes) / float64(devices)
	}
	if wall > 0 {
		h.RequestsPerS = float64(h.Requests) / wall
	}
	h.Reasons = verdict.FellBehind(&h, interrupted)
	h.FellBehind = len(h.Reasons) > 0
	return h
}
