package html

import (
	"fmt"
	"strings"

	"github.com/otasim/otasim/sim/results"
)

// cdnCharts: download time per network profile, normalised to 5 MB, as
// bars of p50/p95/p99 (real and modelled), and the distribution of each
// profile as a percentile plot.
func cdnCharts(run *results.Run, o Options) ([]*Section, []string) {
	cdn := &run.Summary.CDN
	profiles := sortedKeys(cdn.ByProfile)
	bar := newCategoryBar("cdn_profiles", "ms per 5 MB", profiles)
	for _, q := range []struct {
		name string
		get  func(p results.CDNProfile) float64
	}{
		{"p50", func(p results.CDNProfile) float64 { return p.MsPer5MB.P50 }},
		{"p95", func(p results.CDNProfile) float64 { return p.MsPer5MB.P95 }},
		{"p99", func(p results.CDNProfile) float64 { return p.MsPer5MB.P99 }},
		{"modelled p50", func(p results.CDNProfile) float64 { return p.ModelledMsPer5MB.P50 }},
	} {
		vs := make([]float64, len(profiles))
		for i, p := range profiles {
			vs[i] = q.get(cdn.ByProfile[p])
		}
		bar.AddSeries(q.name, barData(vs))
	}
	barNote := fmt.Sprintf("Real transfer time from the server (intended request time to last byte) normalised to 5 MB, per network profile; modelled: the device network the profile models. Whole run: %d downloads, %d failed, %s, p50 %s per 5 MB.",
		cdn.Downloads, cdn.Failures, bytesSize(cdn.Bytes), ms(cdn.MsPer5MB.P50))
	if len(profiles) == 0 {
		barNote = "No bundle was downloaded in this run."
	}

	names, labels, hs, errs := decodeAll(run.Histograms, func(name string) (string, bool) {
		p, ok := strings.CutPrefix(name, "cdn.ms_per_5mb.profile.")
		return p, ok
	})
	dist := newPercentileChart("cdn_hdr", "ms per 5 MB")
	for _, name := range names {
		pts := downsample(percentileCurve(hs[name], run.Histograms.Histograms[name].Unit), o.maxPoints())
		dist.AddSeries(labels[name], lineData(pts), lineSeriesOpts())
	}
	return []*Section{
		{ID: "cdn_profiles", Title: "CDN download time per network profile", Note: barNote, chart: bar},
		{ID: "cdn_hdr", Title: "CDN ms per 5 MB distribution (HDR percentiles)",
			Note: "Each profile's real transfer time per 5 MB over the whole run; x is 1/(1−p) on a log scale.", chart: dist},
	}, errs
}
