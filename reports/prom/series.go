package prom

import "github.com/prometheus/client_golang/prometheus"

// Kind of a series, as Prometheus types it.
const (
	kindCounter   = "counter"
	kindGauge     = "gauge"
	kindHistogram = "histogram"
)

// Series is one metric family of the exporter: what docs/reports.md
// lists and what the Grafana dashboard reads.
type Series struct {
	Name   string
	Kind   string
	Labels []string
	Help   string
}

// Catalogue lists every series the exporter serves, in the order the
// documentation gives them.
func Catalogue() []Series {
	return []Series{
		{"otasim_run_info", kindGauge, []string{"judged_bundle"}, "The run: always 1; judged_bundle is the bundle its adoption targets judge (every series has run_id, scenario and shard)."},
		{"otasim_run_finished", kindGauge, nil, "1 once the run has ended and the series hold its final values, 0 while it runs."},
		{"otasim_virtual_time_seconds", kindGauge, nil, "Virtual time since the start of the run."},
		{"otasim_virtual_duration_seconds", kindGauge, nil, "Virtual duration the run is set to cover."},
		{"otasim_devices", kindGauge, nil, "Devices in the fleet (joining ones included)."},
		{"otasim_active_devices", kindGauge, []string{"segment"}, "Devices with a session in the last 24 virtual hours, at the last sample."},
		{"otasim_bundle_active_devices", kindGauge, []string{"segment", "bundle"}, "Active devices running a bundle, at the last sample."},
		{"otasim_adoption_ratio", kindGauge, []string{"segment", "bundle"}, "Share (0 to 1) of a segment's active devices running a bundle, at the last sample."},
		{"otasim_requests_total", kindCounter, []string{"endpoint", "outcome"}, "Requests ended, by endpoint (updates, stats, channel_self, download) and outcome; their sum is harness.requests of summary.json."},
		{"otasim_request_failures_total", kindCounter, []string{"endpoint", "cause"}, "Failed requests by cause (http_503, connection_refused, timeout, invalid_json, checksum...)."},
		{"otasim_responses_total", kindCounter, []string{"endpoint", "code"}, "API replies by HTTP status (0: no reply)."},
		{"otasim_request_duration_seconds", kindHistogram, []string{"endpoint"}, "API latency from the intended send time (coordinated-omission safe), over the replies the summary's latency counts."},
		{"otasim_request_service_duration_seconds", kindHistogram, []string{"endpoint"}, "API service time, from the actual send to the whole reply."},
		{"otasim_cdn_download_duration_seconds", kindHistogram, []string{"profile"}, "Completed bundle download time, intended start to last byte, by network profile."},
		{"otasim_cdn_duration_per_5mb_seconds", kindHistogram, []string{"profile"}, "Completed bundle download time, intended start to last byte, normalised to 5 MB (bundles of 1 MB or more), by network profile."},
		{"otasim_cdn_bytes_total", kindCounter, []string{"profile"}, "Bytes of completed bundle downloads, by network profile."},
		{"otasim_update_attempts_total", kindCounter, []string{"segment", "bundle"}, "Update attempts (a download started)."},
		{"otasim_update_installs_total", kindCounter, []string{"segment", "bundle"}, "Successful installs (the bundle started and called notifyAppReady)."},
		{"otasim_update_failures_total", kindCounter, []string{"segment", "bundle", "action"}, "Failed update attempts by the stats action that ended them."},
		{"otasim_update_rollbacks_total", kindCounter, []string{"segment", "bundle"}, "Launches of a bundle that missed notifyAppReady, after which the device went back to its previous bundle."},
		{"otasim_in_flight_requests", kindGauge, nil, "Requests sent and not yet answered."},
		{"otasim_backlog_requests", kindGauge, nil, "Requests waiting for a worker of the load generator."},
		{"otasim_schedule_lag_seconds", kindHistogram, nil, "When a worker took a request, against its intended time: the generator's own delay."},
		{"otasim_events_total", kindCounter, nil, "Scheduled events handled."},
		{"otasim_late_events_total", kindCounter, nil, "Events handled more than the late bound (100 ms) after their time."},
		{"otasim_dropped_events_total", kindCounter, nil, "Events due and never handled (known at the end of the run)."},
		{"otasim_target_value", kindGauge, []string{"target", "segment", "metric"}, "A target's value on the run so far, in base units (seconds, ratio, count); absent while it has none."},
		{"otasim_target_threshold", kindGauge, []string{"target", "segment", "metric"}, "A target's threshold, in the units of otasim_target_value."},
		{"otasim_target_passing", kindGauge, []string{"target", "segment", "metric"}, "1 while a target's status is pass, 0 otherwise."},
		{"otasim_target_status", kindGauge, []string{"target", "segment", "metric", "status"}, "A target's status on the run so far: 1 for its status (pass, fail, inconclusive, n/a), 0 for the others."},
		{"otasim_target_lost", kindGauge, nil, "1 while the target server is lost (every request failing over the detection window), 0 otherwise."},
		{"otasim_run_verdict", kindGauge, []string{"verdict"}, "Once the run has ended: 1 for its verdict (PASS, FAIL, INCONCLUSIVE), 0 for the others."},
	}
}

// descs builds a Desc per series, by name.
func descs() map[string]*prometheus.Desc {
	out := map[string]*prometheus.Desc{}
	for _, s := range Catalogue() {
		out[s.Name] = prometheus.NewDesc(s.Name, s.Help, s.Labels, nil)
	}
	return out
}
