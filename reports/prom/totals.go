package prom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/otasim/otasim/sim/results"
)

// emitter sends constant metrics built from a snapshot.
type emitter struct {
	ch   chan<- prometheus.Metric
	desc map[string]*prometheus.Desc
}

func (m *emitter) send(name string, t prometheus.ValueType, v float64, labels ...string) {
	m.ch <- prometheus.MustNewConstMetric(m.desc[name], t, v, labels...)
}

func (m *emitter) gauge(name string, v float64, labels ...string) {
	m.send(name, prometheus.GaugeValue, v, labels...)
}

func (m *emitter) counter(name string, v int64, labels ...string) {
	m.send(name, prometheus.CounterValue, float64(v), labels...)
}

// histogram sends b with the cumulative bucket counts Prometheus wants.
func (m *emitter) histogram(name string, b results.Buckets, labels ...string) {
	bounds := results.DurationBounds()
	cum := make(map[float64]uint64, len(bounds))
	var n uint64
	for i, le := range bounds {
		if i < len(b.Counts) {
			n += uint64(b.Counts[i])
		}
		cum[le] = n
	}
	m.ch <- prometheus.MustNewConstHistogram(m.desc[name], uint64(b.Count()), b.Sum, cum, labels...)
}

// collectTotals sends the cumulative series of a snapshot.
func collectTotals(m *emitter, t *results.Totals) {
	for ep, outs := range t.Requests {
		for o, n := range outs {
			m.counter("otasim_requests_total", n, ep, results.Outcome(o).String())
		}
	}
	for ep, causes := range t.Causes {
		for c, n := range causes {
			m.counter("otasim_request_failures_total", n, ep, c)
		}
	}
	for ep, codes := range t.Codes {
		for c, n := range codes {
			m.counter("otasim_responses_total", n, ep, c)
		}
	}
	for ep, b := range t.Latency {
		m.histogram("otasim_request_duration_seconds", b, ep)
	}
	for ep, b := range t.Service {
		m.histogram("otasim_request_service_duration_seconds", b, ep)
	}
	for p, c := range t.CDN {
		m.histogram("otasim_cdn_download_duration_seconds", c.Download, p)
		m.histogram("otasim_cdn_duration_per_5mb_seconds", c.Per5MB, p)
		m.counter("otasim_cdn_bytes_total", c.Bytes, p)
	}
	m.histogram("otasim_schedule_lag_seconds", t.ScheduleLag)
	m.counter("otasim_events_total", t.Events)
	m.counter("otasim_late_events_total", t.LateEvents)
	m.counter("otasim_dropped_events_total", t.DroppedEvents)
	m.gauge("otasim_backlog_requests", float64(t.Backlog))
	for seg, n := range t.Active {
		m.gauge("otasim_active_devices", float64(n), seg)
	}
	for seg, bundles := range t.Running {
		active := t.Active[seg]
		for b, n := range bundles {
			m.gauge("otasim_bundle_active_devices", float64(n), seg, b)
			share := 0.0
			if active > 0 {
				share = float64(n) / float64(active)
			}
			m.gauge("otasim_adoption_ratio", share, seg, b)
		}
	}
	for seg, bundles := range t.Updates {
		for b, u := range bundles {
			m.counter("otasim_update_attempts_total", u.Attempts, seg, b)
			m.counter("otasim_update_installs_total", u.Installs, seg, b)
			m.counter("otasim_update_rollbacks_total", u.Rollbacks, seg, b)
			for a, n := range u.Failures {
				m.counter("otasim_update_failures_total", n, seg, b, a)
			}
		}
	}
	for _, tr := range t.Targets {
		scale := 1.0
		if tr.Unit == "ms" {
			scale = 1e-3 // base units: seconds
		}
		m.gauge("otasim_target_threshold", tr.Threshold*scale, tr.Name, tr.Segment, tr.Metric)
		m.gauge("otasim_target_passing", boolValue(tr.Status == results.StatusPass), tr.Name, tr.Segment, tr.Metric)
		for _, st := range targetStatuses() {
			m.gauge("otasim_target_status", boolValue(tr.Status == st), tr.Name, tr.Segment, tr.Metric, string(st))
		}
		if tr.Value != nil {
			m.gauge("otasim_target_value", *tr.Value*scale, tr.Name, tr.Segment, tr.Metric)
		}
	}
}

func targetStatuses() []results.TargetStatus {
	return []results.TargetStatus{results.StatusPass, results.StatusFail, results.StatusInconclusive, results.StatusNA}
}

func verdicts() []results.Verdict {
	return []results.Verdict{results.VerdictPass, results.VerdictFail, results.VerdictInconclusive}
}
