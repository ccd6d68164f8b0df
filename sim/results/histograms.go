package results

import (
	"fmt"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaHistograms identifies the version of histograms.json.
const SchemaHistograms = "otasim.histograms/v1"

// Histograms is histograms.json: every HDR histogram of the run, by name.
// Names are dotted: "api.updates.latency", "api.updates.service",
// "api.updates.latency.cohort.<cohort>", "cdn.ms_per_5mb.profile.<p>",
// "cdn.ttfb.profile.<p>", "install_time.cohort.<c>", "schedule_lag".
type Histograms struct {
	Schema     string               `json:"schema"`
	Histograms map[string]Histogram `json:"histograms"`
}

// Histogram is one HDR histogram in the V2 compressed encoding (base64),
// lossless: decode it and merge it with another of the same unit.
type Histogram struct {
	// Unit of the recorded values: "us" (latencies), "ms" (times, ms per
	// 5 MB).
	Unit    string `json:"unit"`
	Count   int64  `json:"count"`
	Encoded string `json:"encoded"`
}

// Encode exports h losslessly.
func Encode(h *hdrhistogram.Histogram, unit string) (Histogram, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return Histogram{}, fmt.Errorf("encode histogram: %w", err)
	}
	return Histogram{Unit: unit, Count: h.TotalCount(), Encoded: string(b)}, nil
}

// Decode rebuilds the histogram.
func (x Histogram) Decode() (*hdrhistogram.Histogram, error) {
	h, err := hdrhistogram.Decode([]byte(x.Encoded))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}
