package scenarios

import "slices"

// Metric is a value of the run summary that a target may check. Its Name
// is the dotted path of the value in summary.json (the simulator writes
// every one of them).
type Metric struct {
	Name       string
	Unit       string // "s", "ms", "ratio", "count"
	PerSegment bool   // also reported per segment and per arm (by_segment)
	Help       string
}

// Metrics lists every metric a target may name, the one place that does.
func Metrics() []Metric {
	ms := []Metric{
		{"adoption.time_to_50_s", "s", true, "virtual seconds from the released bundle's first timeline action until 50% of active devices run it"},
		{"adoption.time_to_90_s", "s", true, "the same, to 90%"},
		{"adoption.time_to_95_s", "s", true, "the same, to 95%"},
		{"adoption.final_share", "ratio", true, "share of active devices running the released bundle at the end"},
		{"success_rate.overall", "ratio", true, "successful installs over update attempts (devices that started a download)"},
		{"success_rate.attempts", "count", true, "update attempts"},
		{"success_rate.successes", "count", true, "successful installs"},
		{"success_rate.failed", "count", true, "failed attempts, every action"},
		{"cdn.downloads", "count", false, "successful bundle downloads"},
		{"cdn.failures", "count", false, "failed bundle downloads (HTTP error, timeout, connection, checksum)"},
		{"cdn.error_rate", "ratio", false, "failed bundle downloads over every download"},
		{"cdn.ms_per_download.p50", "ms", false, "real transfer time of a download (intended request time to last byte), median"},
		{"cdn.ms_per_download.p95", "ms", false, "the same, 95th percentile"},
		{"cdn.ms_per_5mb.p50", "ms", false, "real transfer time (intended request time to last byte) normalised to 5 MB, median, bundles of 1 MB or more"},
		{"cdn.ms_per_5mb.p95", "ms", false, "the same, 95th percentile"},
		{"cdn.ms_per_5mb.p99", "ms", false, "the same, 99th percentile"},
		{"install_time.p50_s", "s", true, "virtual seconds from a device's first offer of a bundle to running it, median"},
		{"install_time.p95_s", "s", true, "the same, 95th percentile"},
		{"rollback.time_to_95_s", "s", false, "virtual seconds from a rollback or guard trip until 95% of exposed devices are back on the good bundle"},
		{"rollback.exposed_devices", "count", false, "devices that received the rolled-back bundle"},
		{"rollback.failed_launches", "count", false, "launches of the rolled-back bundle that missed notifyAppReady"},
		{"engagement.sessions", "count", true, "sessions"},
		{"engagement.error_rate", "ratio", true, "sessions with a JavaScript error over sessions"},
		{"harness.schedule_lag_p99_ms", "ms", false, "dispatch minus intended time of requests, 99th percentile"},
		{"harness.late_events", "count", false, "device events dispatched late"},
	}
	for _, ep := range []string{"updates", "stats", "channel_self"} {
		ms = append(ms,
			Metric{"api." + ep + ".count", "count", true, "requests to /" + ep},
			Metric{"api." + ep + ".errors", "count", true, "requests to /" + ep + " that failed (HTTP error, protocol error, timeout, network error)"},
			Metric{"api." + ep + ".error_rate", "ratio", true, "failed requests to /" + ep + " over every request"},
		)
		for _, st := range []string{"mean", "p50", "p90", "p95", "p99", "max"} {
			ms = append(ms, Metric{"api." + ep + "." + st + "_ms", "ms", true, st + " latency of /" + ep + "'s successful replies from the intended send time"})
		}
	}
	return ms
}

// MetricNames lists the names of Metrics().
func MetricNames() []string {
	ms := Metrics()
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// LookupMetric finds a metric by name.
func LookupMetric(name string) (Metric, bool) {
	ms := Metrics()
	i := slices.IndexFunc(ms, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return ms[i], true
}
