package merge

import (
	"fmt"
	"maps"
	"slices"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/results"
)

// hists are the merged histograms, decoded, by name.
type hists map[string]*hdrhistogram.Histogram

// histograms merges every histogram of the runs by name: the merged one
// holds every value each shard recorded, at the same precision.
func histograms(runs []*results.Run) (results.Histograms, hists, error) {
	merged, units, err := decodeAll(runs)
	if err != nil {
		return results.Histograms{}, nil, err
	}
	out := results.Histograms{Schema: results.SchemaHistograms, Histograms: map[string]results.Histogram{}}
	for _, name := range slices.Sorted(maps.Keys(merged)) {
		x, err := results.Encode(merged[name], units[name])
		if err != nil {
			return out, nil, fmt.Errorf("merge: %s: %w", name, err)
		}
		out.Histograms[name] = x
	}
	return out, merged, nil
}

func decodeAll(runs []*results.Run) (hists, map[string]string, error) {
	merged, units := hists{}, map[string]string{}
	for _, r := range runs {
		for name, x := range r.Histograms.Histograms {
			h, err := x.Decode()
			if err != nil {
				return nil, nil, fmt.Errorf("merge: shard %s: %s: %w", r.Summary.Shard, name, err)
			}
			if u, ok := units[name]; ok && u != x.Unit {
				return nil, nil, fmt.Errorf("merge: %s: unit %q in shard %s, %q before", name, x.Unit, r.Summary.Shard, u)
			}
			units[name] = x.Unit
			into := merged[name]
			if into == nil {
				into = hdrhistogram.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
				merged[name] = into
			}
			if dropped := into.Merge(h); dropped > 0 {
				return nil, nil, fmt.Errorf("merge: %s: %d values of shard %s beyond the merged histogram's range", name, dropped, r.Summary.Shard)
			}
		}
	}
	return merged, units, nil
}

// quantiles summarises the merged histogram name (empty when no shard
// recorded a value), its values in units of scale.
func (h hists) quantiles(name string, scale float64) results.Quantiles {
	x := h[name]
	if x == nil {
		return results.Quantiles{}
	}
	return metrics.Quantiles(x, scale)
}

// merged is the histogram of every value of the named histograms.
func (h hists) merged(names ...string) *hdrhistogram.Histogram {
	var out *hdrhistogram.Histogram
	for _, n := range names {
		x := h[n]
		if x == nil {
			continue
		}
		if out == nil {
			out = hdrhistogram.New(x.LowestTrackableValue(), x.HighestTrackableValue(), int(x.SignificantFigures()))
		}
		out.Merge(x)
	}
	return out
}
