// Package merge makes one run of the runs of a fleet's shards: HDR
// histograms merged (exact to their precision), counts summed, adoption
// shares recomputed from the summed device counts at every sample,
// per-interval percentiles from the merged interval histograms, and the
// targets judged once on the result. A shard that is missing, failed or
// fell behind is named in the summary's shards section and makes the
// verdict INCONCLUSIVE (sim/verdict).
package merge

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/verdict"
)

// Shard is what one shard left: its run, or nothing (Run nil) and why.
type Shard struct {
	Index int
	Run   *results.Run
	// Failed says the shard's process ended without results or with an
	// error ("" when it did not); a shard without Run and without Failed
	// is missing, and Missing may say why.
	Failed, Missing string
}

// Config is a merge.
type Config struct {
	// Scenario is the run's scenario: its targets are judged on the
	// merged run.
	Scenario *scenarios.Scenario
	// Count is the number of shards of the run (N of I/N).
	Count  int
	Shards []Shard
	// RunID of the merged run (default: shard runs' first).
	RunID string
	// Timeline, when set, is the timeline as the collector carried it
	// out (with the actions it skipped); else shard 0's (or the first
	// shard's) is the run's.
	Timeline, Skipped []results.ActionResult
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Scenario == nil {
		errs = append(errs, errors.New("no scenario"))
	}
	if c.Count < 1 {
		errs = append(errs, fmt.Errorf("%d shards: want at least 1", c.Count))
	}
	seen := map[int]bool{}
	present := 0
	for _, s := range c.Shards {
		if s.Index < 0 || s.Index >= c.Count {
			errs = append(errs, fmt.Errorf("shard %d: not one of 0 to %d", s.Index, c.Count-1))
		}
		if seen[s.Index] {
			errs = append(errs, fmt.Errorf("shard %d given twice", s.Index))
		}
		seen[s.Index] = true
		if s.Run == nil {
			continue
		}
		present++
		sum := &s.Run.Summary
		if want := strconv.Itoa(s.Index) + "/" + strconv.Itoa(c.Count); c.Count > 1 && sum.Shard != want {
			errs = append(errs, fmt.Errorf("shard %d: its run is shard %q, want %q", s.Index, sum.Shard, want))
		}
		if c.Scenario != nil && sum.Scenario != c.Scenario.Name {
			errs = append(errs, fmt.Errorf("shard %d: ran scenario %q, not %q", s.Index, sum.Scenario, c.Scenario.Name))
		}
	}
	if present == 0 {
		errs = append(errs, errors.New("no shard left results"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	return nil
}

// Merge merges the shards' runs into the fleet's.
func Merge(cfg Config) (*results.Run, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var runs []*results.Run
	byIndex := map[int]*Shard{}
	for i := range cfg.Shards {
		s := &cfg.Shards[i]
		byIndex[s.Index] = s
	}
	for i := range cfg.Count {
		if s := byIndex[i]; s != nil && s.Run != nil {
			runs = append(runs, s.Run)
		}
	}
	if err := consistent(runs); err != nil {
		return nil, err
	}
	enc, hs, err := histograms(runs)
	if err != nil {
		return nil, err
	}
	series, err := mergeSeries(runs, hs)
	if err != nil {
		return nil, err
	}
	sum := summary(&cfg, runs, hs, &series)
	sum.Shards = shardResults(&cfg, byIndex)
	sum.Targets = verdict.Targets(cfg.Scenario.TargetSpecs(), sum)
	verdict.Decide(sum)
	return &results.Run{Summary: *sum, Series: series, Histograms: enc}, nil
}

// consistent checks that the runs are shards of one run.
func consistent(runs []*results.Run) error {
	a := &runs[0].Summary
	var errs []error
	for _, r := range runs[1:] {
		b := &r.Summary
		if b.Seed != a.Seed || b.Speed != a.Speed || b.VirtualEpoch != a.VirtualEpoch {
			errs = append(errs, fmt.Errorf("shard %s: seed %d, speed %g; shard %s: seed %d, speed %g", b.Shard, b.Seed, b.Speed, a.Shard, a.Seed, a.Speed))
		}
		if r.Series.SampleEveryS != runs[0].Series.SampleEveryS {
			errs = append(errs, fmt.Errorf("shard %s samples every %g s, shard %s every %g s", b.Shard, r.Series.SampleEveryS, a.Shard, runs[0].Series.SampleEveryS))
		}
		if !slices.EqualFunc(a.Cohorts, b.Cohorts, func(x, y results.CohortInfo) bool { return x.Name == y.Name }) {
			errs = append(errs, fmt.Errorf("shard %s and shard %s have different cohorts", b.Shard, a.Shard))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("merge: not shards of one run: %w", err)
	}
	return nil
}

// shardResults is the summary's shards section.
func shardResults(cfg *Config, byIndex map[int]*Shard) []results.ShardResult {
	out := make([]results.ShardResult, 0, cfg.Count)
	for i := range cfg.Count {
		sr := results.ShardResult{Index: i, Status: results.ShardOK}
		s := byIndex[i]
		switch {
		case s == nil:
			sr.Status, sr.Reason = results.ShardMissing, "no results"
		case s.Run == nil && s.Failed != "":
			sr.Status, sr.Reason = results.ShardFailed, s.Failed
		case s.Run == nil:
			sr.Status, sr.Reason = results.ShardMissing, firstNonEmpty(s.Missing, "no results")
		}
		if s != nil && s.Run != nil {
			x := &s.Run.Summary
			h := &x.Harness
			sr.Devices, sr.Requests, sr.ScheduleLagP99Ms = x.Devices, h.Requests, h.ScheduleLagP99Ms
			sr.LateEvents, sr.DroppedEvents, sr.CPUSeconds, sr.PeakRSSBytes = h.LateEvents, h.DroppedEvents, h.CPUSeconds, h.PeakRSSBytes
			sr.Verdict = x.Verdict
			switch {
			case s.Failed != "":
				sr.Status, sr.Reason = results.ShardFailed, s.Failed
			case x.Interrupted:
				sr.Status, sr.Reason = results.ShardFailed, fmt.Sprintf("interrupted after %.0f virtual s", x.VirtualSeconds)
			case h.FellBehind:
				sr.Status, sr.Reason = results.ShardFellBehind, strings.Join(h.Reasons, "; ")
			}
		}
		out = append(out, sr)
	}
	return out
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
