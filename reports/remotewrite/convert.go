package remotewrite

import (
	"math"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/util/fmtutil"
)

// toWriteRequest turns what a registry gathered into one remote-write
// request, every sample stamped at ts (ms since the epoch), with extra
// labels on every series, by Prometheus' own conversion (the one
// promtool's push uses): each histogram becomes its _bucket, _sum and
// _count series, as a scrape would store it.
//
// A gathered histogram leaves its +Inf bucket implicit (it is the
// count), and the conversion of the Prometheus release used here writes
// only the buckets it is given; without le="+Inf" histogram_quantile
// gives NaN, so it is added here.
func toWriteRequest(mfs []*dto.MetricFamily, extra map[string]string, ts int64) (*prompb.WriteRequest, error) {
	byName := make(map[string]*dto.MetricFamily, len(mfs))
	inf := math.Inf(1)
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			m.TimestampMs = &ts
			if h := m.Histogram; h != nil {
				if n := len(h.Bucket); n == 0 || !math.IsInf(h.Bucket[n-1].GetUpperBound(), 1) {
					count := h.GetSampleCount()
					h.Bucket = append(h.Bucket, &dto.Bucket{UpperBound: &inf, CumulativeCount: &count})
				}
			}
		}
		byName[mf.GetName()] = mf
	}
	return fmtutil.MetricFamiliesToWriteRequest(byName, extra)
}

// samples counts a request's samples.
func samples(req *prompb.WriteRequest) int64 {
	var n int64
	for _, ts := range req.Timeseries {
		n += int64(len(ts.Samples))
	}
	return n
}
