package html

import (
	"fmt"
	"strings"

	"github.com/otasim/otasim/sim/results"
)

// cdnCharts: download time per network profile as bars of p50/p95/p99
// (real and modelled), and the distribution of each profile as a
// percentile plot. Normalised to 5 MB when the run downloaded bundles of
// a megabyte or more; otherwise as time per download (per 5 MB would
// multiply a small bundle's fixed costs into nonsense).
func cdnCharts(run *results.Run, o Options) ([]*Section, []string) {
	cdn := &run.Summary.CDN
	per5MB := cdn.MsPer5MB.Count > 0
	unit, hist, title := "ms per 5 MB", "cdn.ms_per_5mb.profile.", "CDN ms per 5 MB distribution (HDR percentiles)"
	quant := func(p results.CDNProfile) results.Quantiles { return p.MsPer5MB }
	if !per5MB {
		unit, hist, title = "ms per download", "cdn.ms_per_download.profile.", "CDN time per download distribution (HDR percentiles)"
		quant = func(p results.CDNProfile) results.Quantiles { return p.MsPerDownload }
	}
	profiles := sortedKeys(cdn.ByProfile)
	bar := newCategoryBar("cdn_profiles", unit, profiles)
	series := []struct {
		name string
		get  func(p results.CDNProfile) float64
	}{
		{"p50", func(p results.CDNProfile) float64 { return quant(p).P50 }},
		{"p95", func(p results.CDNProfile) float64 { return quant(p).P95 }},
		{"p99", func(p results.CDNProfile) float64 { return quant(p).P99 }},
	}
	if per5MB {
		series = append(series, struct {
			name string
			get  func(p results.CDNProfile) float64
		}{"modelled p50", func(p results.CDNProfile) float64 { return p.ModelledMsPer5MB.P50 }})
	}
	for _, q := range series {
		vs := make([]float64, len(profiles))
		for i, p := range profiles {
			if quant(cdn.ByProfile[p]).Count == 0 {
				vs[i] = nanValueOf() // no successful download: no bar, not a zero
				continue
			}
			vs[i] = q.get(cdn.ByProfile[p])
		}
		bar.AddSeries(q.name, barData(vs))
	}
	var barNote string
	switch {
	case len(profiles) == 0:
		barNote = "No bundle was downloaded in this run."
	case per5MB:
		barNote = fmt.Sprintf("Real transfer time from the server (intended request time to last byte) normalised to 5 MB, per network profile, "+
			"for bundles of 1 MB or more; modelled: the device network the profile models. Whole run: %d downloads, %d failed, %s, p50 %s per 5 MB.",
			cdn.Downloads, cdn.Failures, bytesSize(cdn.Bytes), ms(cdn.MsPer5MB.P50))
	default:
		barNote = fmt.Sprintf("Every bundle of this run is under 1 MB: the real time of each download (intended request time to last byte), "+
			"per network profile, not normalised to 5 MB, and the CDN target does not apply. Whole run: %d downloads, %d failed, %s, p50 %s per download.",
			cdn.Downloads, cdn.Failures, bytesSize(cdn.Bytes), ms(cdn.MsPerDownload.P50))
	}

	names, labels, hs, errs := decodeAll(run.Histograms, func(name string) (string, bool) {
		p, ok := strings.CutPrefix(name, hist)
		return p, ok
	})
	dist := newPercentileChart("cdn_hdr", unit)
	for _, name := range names {
		pts := downsample(percentileCurve(hs[name], run.Histograms.Histograms[name].Unit), o.maxPoints())
		dist.AddSeries(labels[name], lineData(pts), lineSeriesOpts())
	}
	return []*Section{
		{ID: "cdn_profiles", Title: "CDN download time per network profile", Note: barNote, chart: bar},
		{ID: "cdn_hdr", Title: title, Note: "Each profile's real transfer time (" + unit + ") over the whole run; x is 1/(1−p) on a log scale.", chart: dist},
	}, errs
}
