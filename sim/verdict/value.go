package verdict

import (
	"strings"

	"github.com/otasim/otasim/sim/results"
)

// Value finds a metric of scenarios.Metrics() in the summary, for the
// whole fleet or one cohort; false when the run has no value for it (a
// share never reached, no successful reply).
func Value(s *results.Summary, metric, segment string) (float64, bool) {
	ptr := func(p *float64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return *p, true
	}
	parts := strings.Split(metric, ".")
	switch parts[0] {
	case "adoption":
		var t50, t90, t95 *float64
		final := s.Adoption.FinalShare
		if segment != "" {
			c, ok := s.Adoption.BySegment[segment]
			if !ok {
				return 0, false
			}
			t50, t90, t95, final = c.TimeTo50S, c.TimeTo90S, c.TimeTo95S, c.FinalShare
		} else {
			t50, t90, t95 = s.Adoption.TimeTo50S, s.Adoption.TimeTo90S, s.Adoption.TimeTo95S
		}
		switch metric {
		case "adoption.time_to_50_s":
			return ptr(t50)
		case "adoption.time_to_90_s":
			return ptr(t90)
		case "adoption.time_to_95_s":
			return ptr(t95)
		case "adoption.final_share":
			return final, true
		}
	case "success_rate":
		sc := results.SuccessCount{Rate: s.SuccessRate.Overall, Attempts: s.SuccessRate.Attempts,
			Successes: s.SuccessRate.Successes, Failures: s.SuccessRate.Failures}
		if segment != "" {
			var ok bool
			if sc, ok = s.SuccessRate.BySegment[segment]; !ok {
				return 0, false
			}
		}
		switch metric {
		case "success_rate.overall":
			if sc.Attempts == 0 {
				return 0, false
			}
			return sc.Rate, true
		case "success_rate.attempts":
			return float64(sc.Attempts), true
		case "success_rate.successes":
			return float64(sc.Successes), true
		case "success_rate.failed":
			var n int64
			for _, v := range sc.Failures {
				n += v
			}
			return float64(n), true
		}
	case "cdn":
		quant := func(q results.Quantiles) (float64, bool) {
			if q.Count == 0 {
				return 0, false
			}
			return map[string]float64{"p50": q.P50, "p95": q.P95, "p99": q.P99}[parts[2]], true
		}
		switch metric {
		case "cdn.downloads":
			return float64(s.CDN.Downloads), true
		case "cdn.failures":
			return float64(s.CDN.Failures), true
		case "cdn.error_rate":
			if s.CDN.Outcomes.Total() == 0 {
				return 0, false
			}
			return s.CDN.ErrorRate, true
		case "cdn.ms_per_5mb.p50", "cdn.ms_per_5mb.p95", "cdn.ms_per_5mb.p99":
			return quant(s.CDN.MsPer5MB)
		case "cdn.ms_per_download.p50", "cdn.ms_per_download.p95":
			return quant(s.CDN.MsPerDownload)
		}
	case "install_time":
		key := "all"
		if segment != "" {
			key = segment
		}
		q, ok := s.InstallTime[key]
		if !ok || q.Count == 0 {
			return 0, false
		}
		switch metric {
		case "install_time.p50_s":
			return q.P50, true
		case "install_time.p95_s":
			return q.P95, true
		}
	case "rollback":
		switch metric {
		case "rollback.time_to_95_s":
			return ptr(s.Rollback.TimeTo95BackS)
		case "rollback.exposed_devices":
			return float64(s.Rollback.Exposed), true
		case "rollback.failed_launches":
			return float64(s.Rollback.FailedLaunches), true
		}
	case "engagement":
		var sessions, errs int64
		for c, m := range s.Engagement {
			if segment != "" && c != segment {
				continue
			}
			for _, e := range m {
				sessions += e.Sessions
				errs += e.JSErrors
			}
		}
		switch metric {
		case "engagement.sessions":
			return float64(sessions), true
		case "engagement.error_rate":
			if sessions == 0 {
				return 0, false
			}
			return float64(errs) / float64(sessions), true
		}
	case "harness":
		switch metric {
		case "harness.schedule_lag_p99_ms":
			return s.Harness.ScheduleLagP99Ms, true
		case "harness.late_events":
			return float64(s.Harness.LateEvents), true
		}
	case "api":
		if len(parts) != 3 {
			return 0, false
		}
		ep, ok := s.API[parts[1]]
		if !ok {
			return 0, false
		}
		if segment != "" {
			if ep, ok = ep.BySegment[segment]; !ok {
				return 0, false
			}
		}
		switch parts[2] {
		case "count":
			return float64(ep.Count), true
		case "errors":
			return float64(ep.Errors), true
		case "error_rate":
			if ep.Count == 0 {
				return 0, false
			}
			return ep.ErrorRate, true
		case "mean_ms":
			return ptr(ep.MeanMs)
		case "p50_ms":
			return ptr(ep.P50Ms)
		case "p90_ms":
			return ptr(ep.P90Ms)
		case "p95_ms":
			return ptr(ep.P95Ms)
		case "p99_ms":
			return ptr(ep.P99Ms)
		case "max_ms":
			return ptr(ep.MaxMs)
		}
	}
	return 0, false
}
