package history

import (
	"errors"
	"fmt"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/sim/results"
)

// Merge decodes histograms of one unit and adds them up exactly: the
// result equals a histogram fed every value of every part (shards of one
// run, or several runs). Parts of different units are an error.
func Merge(parts ...results.Histogram) (*hdrhistogram.Histogram, error) {
	if len(parts) == 0 {
		return nil, errors.New("history: merge: no histogram")
	}
	var out *hdrhistogram.Histogram
	for i, p := range parts {
		if p.Unit != parts[0].Unit {
			return nil, fmt.Errorf("history: merge: histogram %d is in %q, the first in %q", i, p.Unit, parts[0].Unit)
		}
		h, err := p.Decode()
		if err != nil {
			return nil, fmt.Errorf("history: merge: histogram %d: %w", i, err)
		}
		if out == nil {
			out = h
			continue
		}
		if dropped := out.Merge(h); dropped != 0 {
			return nil, fmt.Errorf("history: merge: %d values of histogram %d out of range", dropped, i)
		}
	}
	return out, nil
}
