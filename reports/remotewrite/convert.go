package remotewrite

import (
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/prompb"
	"github.com/prometheus/prometheus/util/fmtutil"
)

// toWriteRequest turns what a registry gathered into one remote-write
// request, every sample stamped at ts (ms since the epoch), with extra
// labels on every series, by Prometheus' own conversion (the one
// promtool's push uses): each histogram becomes its _bucket, _sum and
// _count series, as a scrape would store it.
func toWriteRequest(mfs []*dto.MetricFamily, extra map[string]string, ts int64) (*prompb.WriteRequest, error) {
	byName := make(map[string]*dto.MetricFamily, len(mfs))
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			m.TimestampMs = &ts
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
