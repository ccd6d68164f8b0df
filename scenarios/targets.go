package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// Targets are what the run is judged against. Unset documented targets
// take the published values (filled in by Parse); Disable removes one by
// name.
type Targets struct {
	// AdoptionWithin: AdoptionShare of active devices run the released
	// bundle within this time of its first timeline action (default 24h).
	AdoptionWithin *Duration `yaml:"adoption_within,omitempty"`
	// AdoptionShare is the share that must be reached: 0.5, 0.9 or 0.95
	// (default), the shares the summary reports times for.
	AdoptionShare *float64 `yaml:"adoption_share,omitempty"`
	// AdoptionBundle is the bundle judged (default: the last bundle the
	// timeline releases or rolls out, see Scenario.ReleasedBundle).
	AdoptionBundle string `yaml:"adoption_bundle"`
	// CDNms: p50 real transfer time normalised to 5 MB (default 114ms).
	CDNms *float64 `yaml:"cdn_p50_ms_per_5mb,omitempty"`
	// SuccessRate: successful installs over attempts (default 0.82).
	SuccessRate *float64 `yaml:"success_rate,omitempty"`
	// APIMeanMs: mean /updates latency of successful replies (default
	// 434ms).
	APIMeanMs *float64 `yaml:"api_mean_ms,omitempty"`
	// APIErrorRate: at most this share of the requests to each endpoint
	// (updates, stats, channel_self) fail (default 0.01).
	APIErrorRate *float64 `yaml:"api_error_rate,omitempty"`
	// CDNErrorRate: at most this share of bundle downloads fail (default
	// 0.01).
	CDNErrorRate *float64 `yaml:"cdn_error_rate,omitempty"`
	// Disable lists default targets to leave out: adoption, cdn,
	// success_rate, api, api_errors, cdn_errors.
	Disable []string `yaml:"disable,omitempty"`
	// AbortOnFail lists default targets that stop the run when they are
	// crossed and do not recover within their delay (k6's abortOnFail).
	AbortOnFail []Abort `yaml:"abort_on_fail,omitempty"`
	// Extra thresholds on any summary metric, optionally per segment.
	Extra []Threshold `yaml:"extra,omitempty"`
}

// Abort stops the run early when Target (a default target's name, e.g.
// api_errors, or one endpoint's: api_errors.updates) is crossed for
// longer than Delay of the run's time.
type Abort struct {
	Target string   `yaml:"target"`
	Delay  Duration `yaml:"delay"`
}

// Threshold is an extra pass/fail check on a metric of the summary:
// exactly one of Max and Min. With AbortOnFail it stops the run when
// crossed for longer than Delay.
type Threshold struct {
	Name        string   `yaml:"name"`    // default: the metric, with "@segment"
	Metric      string   `yaml:"metric"`  // one of MetricNames()
	Segment     string   `yaml:"segment"` // optional: a segment, or "segment/arm"
	Max         *float64 `yaml:"max,omitempty"`
	Min         *float64 `yaml:"min,omitempty"`
	AbortOnFail bool     `yaml:"abort_on_fail"`
	Delay       Duration `yaml:"delay"`
}

// Names of the default targets: the four documented ones, then the error
// rates.
const (
	TargetAdoption    = "adoption"
	TargetCDN         = "cdn"
	TargetSuccessRate = "success_rate"
	TargetAPI         = "api"
	TargetAPIErrors   = "api_errors"
	TargetCDNErrors   = "cdn_errors"
)

// DocumentedTargets lists the four published targets in report order.
func DocumentedTargets() []string {
	return []string{TargetAdoption, TargetCDN, TargetSuccessRate, TargetAPI}
}

// DefaultTargets lists every default target in report order: the
// documented four and the error rates.
func DefaultTargets() []string {
	return append(DocumentedTargets(), TargetAPIErrors, TargetCDNErrors)
}

// APIEndpoints are the endpoints api_errors judges, one target each
// (api_errors.updates, ...).
func APIEndpoints() []string { return []string{"updates", "stats", "channel_self"} }

// TargetSpec is one resolved pass/fail check: the metric of the summary
// (one of MetricNames(), per segment when Segment is set) compared with
// Threshold by Op.
type TargetSpec struct {
	Name       string
	Metric     string
	Segment    string // "" for the whole fleet; a segment or "segment/arm"
	Threshold  float64
	Op         string // "<=" or ">="
	Unit       string // "s", "ms", "ratio", "count"
	Documented bool   // one of the four published targets
	// Bundle is the bundle the adoption target judges ("" otherwise).
	Bundle string
	// Abort stops the run when the target is crossed for longer than
	// AbortDelay (abort_on_fail).
	Abort      bool
	AbortDelay Duration
}

// Of reports whether the spec is the default target name or one of its
// parts (api_errors covers api_errors.updates).
func (t TargetSpec) Of(name string) bool {
	return t.Name == name || strings.HasPrefix(t.Name, name+".")
}

// Pass reports whether a measured value meets the target.
func (t TargetSpec) Pass(value float64) bool {
	if t.Op == ">=" {
		return value >= t.Threshold
	}
	return value <= t.Threshold
}

// String reads like "api.updates.mean_ms <= 434 ms".
func (t TargetSpec) String() string {
	s := fmt.Sprintf("%s %s %g %s", t.Metric, t.Op, t.Threshold, t.Unit)
	if t.Segment != "" {
		s += " (" + t.Segment + ")"
	}
	return s
}

// TargetSpecs resolves the targets: the default ones first (less those
// disabled; api_errors is one spec per endpoint), then the extra
// thresholds in file order.
func (s *Scenario) TargetSpecs() []TargetSpec {
	t := s.Targets
	val := func(p *float64, def float64) float64 {
		if p == nil {
			return def
		}
		return *p
	}
	within := DefaultAdoptionWithin
	if t.AdoptionWithin != nil {
		within = *t.AdoptionWithin
	}
	share := val(t.AdoptionShare, DefaultAdoptionShare)
	bundle := t.AdoptionBundle
	if bundle == "" {
		bundle = s.ReleasedBundle()
	}
	defaults := []TargetSpec{
		{Name: TargetAdoption, Metric: fmt.Sprintf("adoption.time_to_%.0f_s", share*100), Threshold: within.Seconds(), Op: "<=", Unit: "s", Bundle: bundle, Documented: true},
		{Name: TargetCDN, Metric: "cdn.ms_per_5mb.p50", Threshold: val(t.CDNms, DefaultCDNms), Op: "<=", Unit: "ms", Documented: true},
		{Name: TargetSuccessRate, Metric: "success_rate.overall", Threshold: val(t.SuccessRate, DefaultSuccessRate), Op: ">=", Unit: "ratio", Documented: true},
		{Name: TargetAPI, Metric: "api.updates.mean_ms", Threshold: val(t.APIMeanMs, DefaultAPIMeanMs), Op: "<=", Unit: "ms", Documented: true},
	}
	for _, ep := range APIEndpoints() {
		defaults = append(defaults, TargetSpec{Name: TargetAPIErrors + "." + ep, Metric: "api." + ep + ".error_rate",
			Threshold: val(t.APIErrorRate, DefaultAPIErrorRate), Op: "<=", Unit: "ratio"})
	}
	defaults = append(defaults, TargetSpec{Name: TargetCDNErrors, Metric: "cdn.error_rate",
		Threshold: val(t.CDNErrorRate, DefaultCDNErrorRate), Op: "<=", Unit: "ratio"})
	var out []TargetSpec
	for _, d := range defaults {
		if slices.ContainsFunc(t.Disable, d.Of) {
			continue
		}
		for _, a := range t.AbortOnFail {
			if d.Of(a.Target) {
				d.Abort, d.AbortDelay = true, a.Delay
			}
		}
		out = append(out, d)
	}
	for _, x := range t.Extra {
		spec := TargetSpec{Name: x.Name, Metric: x.Metric, Segment: x.Segment, Abort: x.AbortOnFail, AbortDelay: x.Delay}
		if m, ok := LookupMetric(x.Metric); ok {
			spec.Unit = m.Unit
		}
		if spec.Name == "" {
			spec.Name = x.Metric
			if x.Segment != "" {
				spec.Name += "@" + x.Segment
			}
		}
		switch {
		case x.Max != nil:
			spec.Threshold, spec.Op = *x.Max, "<="
		case x.Min != nil:
			spec.Threshold, spec.Op = *x.Min, ">="
		}
		out = append(out, spec)
	}
	return out
}

func (c *checker) checkTargets() {
	t := c.s.Targets
	if t.AdoptionWithin != nil && *t.AdoptionWithin <= 0 {
		c.add("targets.adoption_within", "%s is out of range (expected a duration above 0)", *t.AdoptionWithin)
	}
	if t.AdoptionShare != nil && !slices.Contains([]float64{0.5, 0.9, 0.95}, *t.AdoptionShare) {
		c.add("targets.adoption_share", "%v is not a reported share (expected 0.5, 0.9 or 0.95)", *t.AdoptionShare)
	}
	if t.AdoptionBundle != "" {
		c.bundleRef("targets.adoption_bundle", t.AdoptionBundle)
	}
	if t.CDNms != nil && !(*t.CDNms > 0) {
		c.add("targets.cdn_p50_ms_per_5mb", "%v is out of range (expected a number of milliseconds above 0)", *t.CDNms)
	}
	if t.SuccessRate != nil {
		c.rate("targets.success_rate", *t.SuccessRate)
	}
	if t.APIMeanMs != nil && !(*t.APIMeanMs > 0) {
		c.add("targets.api_mean_ms", "%v is out of range (expected a number of milliseconds above 0)", *t.APIMeanMs)
	}
	if t.APIErrorRate != nil {
		c.rate("targets.api_error_rate", *t.APIErrorRate)
	}
	if t.CDNErrorRate != nil {
		c.rate("targets.cdn_error_rate", *t.CDNErrorRate)
	}
	defaults := strings.Join(DefaultTargets(), ", ")
	for i, d := range t.Disable {
		if !slices.Contains(DefaultTargets(), d) {
			c.add(indexPath("targets.disable", i), "unknown target %s (expected one of %s)", quoteShort(d), defaults)
		}
	}
	for i, a := range t.AbortOnFail {
		p := indexPath("targets.abort_on_fail", i)
		known := slices.Contains(DefaultTargets(), a.Target) || slices.ContainsFunc(APIEndpoints(), func(ep string) bool {
			return a.Target == TargetAPIErrors+"."+ep
		})
		switch {
		case a.Target == "":
			c.add(p+".target", "missing (expected a default target: %s)", defaults)
		case !known:
			c.add(p+".target", "unknown target %s (expected one of %s, or api_errors.ENDPOINT)", quoteShort(a.Target), defaults)
		case slices.Contains(t.Disable, a.Target):
			c.add(p+".target", "target %s is disabled", a.Target)
		}
		if a.Delay < 0 {
			c.add(p+".delay", "%s is negative (expected a duration of 0 or more)", a.Delay)
		}
	}
	names := map[string]bool{}
	for _, d := range DefaultTargets() {
		names[d] = true
	}
	for i, x := range t.Extra {
		p := indexPath("targets.extra", i)
		m, ok := LookupMetric(x.Metric)
		switch {
		case x.Metric == "":
			c.add(p+".metric", "missing (expected a metric such as api.updates.p99_ms)")
		case !ok:
			c.add(p+".metric", "unknown metric %s (%s)", quoteShort(x.Metric), suggestMetric(x.Metric))
		}
		if x.Segment != "" {
			if !c.isCohort(x.Segment) {
				c.add(p+".segment", "unknown segment %s (expected a segment or segment/arm: %s)", quoteShort(x.Segment), strings.Join(c.cohortNames(), ", "))
			} else if ok && !m.PerSegment {
				c.add(p+".segment", "metric %s is not reported per segment", x.Metric)
			}
		}
		if (x.Max == nil) == (x.Min == nil) {
			c.add(p, "expected exactly one of max or min")
		}
		if x.Delay < 0 {
			c.add(p+".delay", "%s is negative (expected a duration of 0 or more)", x.Delay)
		} else if x.Delay > 0 && !x.AbortOnFail {
			c.add(p+".delay", "a delay is for abort_on_fail: true")
		}
		if name := x.Name; name != "" {
			if names[name] {
				c.add(p+".name", "target %q is defined twice", name)
			}
			names[name] = true
		}
	}
}

func (c *checker) cohortNames() []string {
	var out []string
	for _, g := range c.s.Fleet.Segments {
		out = append(out, g.Name)
		for _, a := range g.Arms {
			out = append(out, g.Name+"/"+a.Name)
		}
	}
	return out
}

func (c *checker) isCohort(name string) bool { return slices.Contains(c.cohortNames(), name) }

// suggestMetric offers the closest metric names.
func suggestMetric(name string) string {
	best, bestDist := "", 1<<30
	for _, m := range MetricNames() {
		if d := editDistance(name, m); d < bestDist {
			best, bestDist = m, d
		}
	}
	if bestDist <= 3 {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "expected one of the metrics listed in docs/scenarios.md, e.g. api.updates.p99_ms"
}
