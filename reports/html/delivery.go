package html

import (
	"fmt"
	"strings"

	"github.com/otasim/otasim/sim/results"
)

// deliveryCharts compare how bundles reached the devices, whole zips
// against per-file (manifest) downloads, per network profile: the bytes
// a download moved beside what its full zip would have cost, and the
// install time (first offer to running the bundle). A run with one kind
// of delivery only has nothing to compare, and no such section.
func deliveryCharts(run *results.Run) []*Section {
	d := &run.Summary.CDN.Deliveries
	if len(d.ByDelivery) < 2 {
		return nil
	}
	kinds := sortedKeys(d.ByDelivery)
	var cats []string
	type cell struct{ kind, profile string }
	var cells []cell
	for _, k := range kinds {
		profiles := sortedKeys(d.ByDelivery[k].ByProfile)
		for _, p := range profiles {
			cats = append(cats, k+" · "+p)
			cells = append(cells, cell{k, p})
		}
	}
	perDownload := func(bytes, downloads int64) float64 {
		if downloads == 0 {
			return nanValueOf()
		}
		return float64(bytes) / float64(downloads) / 1e6
	}
	bytesBar := newCategoryBar("delivery_bytes", "MB per download", cats)
	moved, full := make([]float64, len(cells)), make([]float64, len(cells))
	for i, c := range cells {
		p := d.ByDelivery[c.kind].ByProfile[c.profile]
		moved[i], full[i] = perDownload(p.Bytes, p.Downloads), perDownload(p.BytesFullZip, p.Downloads)
	}
	bytesBar.AddSeries("downloaded", barData(moved))
	bytesBar.AddSeries("full zip", barData(full))

	installBar := newCategoryBar("delivery_install", "virtual seconds", cats)
	for _, q := range []struct {
		name string
		get  func(results.Quantiles) float64
	}{
		{"p50", func(q results.Quantiles) float64 { return q.P50 }},
		{"p90", func(q results.Quantiles) float64 { return q.P90 }},
		{"p99", func(q results.Quantiles) float64 { return q.P99 }},
	} {
		vs := make([]float64, len(cells))
		for i, c := range cells {
			it := d.ByDelivery[c.kind].ByProfile[c.profile].InstallTimeS
			if it.Count == 0 {
				vs[i] = nanValueOf() // nothing installed: no bar, not a zero
				continue
			}
			vs[i] = q.get(it)
		}
		installBar.AddSeries(q.name, barData(vs))
	}
	saved := ""
	if d.BytesFullZip > 0 {
		saved = fmt.Sprintf(" Whole run: %s downloaded where full zips would have moved %s (%s saved).",
			bytesSize(d.BytesDownloaded), bytesSize(d.BytesFullZip), pct(1-float64(d.BytesDownloaded)/float64(d.BytesFullZip)))
	}
	per := make([]string, 0, len(kinds))
	for _, k := range kinds {
		x := d.ByDelivery[k]
		per = append(per, fmt.Sprintf("%s: %d downloads, %d failed", k, x.Downloads, x.Failures))
	}
	return []*Section{
		{ID: "delivery_bytes", Title: "Bytes per download: zip against per file",
			Note: "What a bundle download moved, per delivery kind and network profile, beside what the bundle's full zip would have cost the same download: " +
				"a per-file download fetches only the files the device does not hold." + saved, chart: bytesBar},
		{ID: "delivery_install", Title: "Install time per delivery",
			Note: fmt.Sprintf("Virtual seconds from a device's first offer of a bundle to running it, per delivery kind and network profile (%s).",
				strings.Join(per, "; ")), chart: installBar},
	}
}
