package refserver

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// metrics are the server's Prometheus metrics on a private registry.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	stats      *prometheus.CounterVec
	percent    *prometheus.GaugeVec
	state      *prometheus.GaugeVec
	guardTrips *prometheus.CounterVec
	conns      prometheus.Gauge
	inflight   *prometheus.GaugeVec
	shedTotal  *prometheus.CounterVec
	adminAuth  *prometheus.CounterVec

	// The children of requests and duration by label pair, and of stats
	// by action (a known action or invalid, so a bounded set), so that the
	// hot path does not hash its labels on every request and event.
	mu       sync.RWMutex
	children map[obsKey]obsChild
	actions  map[string]prometheus.Counter
}

type obsKey struct{ endpoint, outcome string }

type obsChild struct {
	count prometheus.Counter
	dur   prometheus.Observer
}

func newMetrics() *metrics {
	m := &metrics{
		reg:      prometheus.NewRegistry(),
		children: map[obsKey]obsChild{},
		actions:  map[string]prometheus.Counter{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "otasim_server_requests_total", Help: "Device API requests by endpoint and outcome (error code, update or ok).",
		}, []string{"endpoint", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "otasim_server_request_duration_seconds", Help: "Device API handling time by endpoint and outcome.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"endpoint", "outcome"}),
		stats: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "otasim_server_stats_events_total", Help: "Stats events stored by action (invalid: refused).",
		}, []string{"action"}),
		percent: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "otasim_server_rollout_percent_bp", Help: "Rollout percentage in basis points per channel (0 when none in progress).",
		}, []string{"app_id", "channel"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "otasim_server_rollout_state", Help: "1 for the state of each channel's latest rollout (none, running, paused, promoted, rolled_back).",
		}, []string{"app_id", "channel", "state"}),
		guardTrips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "otasim_server_guard_trips_total", Help: "Auto-pause guard trips by action.",
		}, []string{"app_id", "channel", "action"}),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "otasim_server_connections", Help: "Open client connections (capped by --max-conns).",
		}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "otasim_server_inflight_requests", Help: "Device API requests being handled, by endpoint (bounded by --max-inflight).",
		}, []string{"endpoint"}),
		shedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "otasim_server_shed_total", Help: "Requests and connections refused to keep the server within its bounds, by endpoint and reason.",
		}, []string{"endpoint", "reason"}),
		adminAuth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "otasim_server_admin_auth_refused_total", Help: "Admin calls (and /metrics scrapes behind the token) refused: a wrong or missing token (failed), or an address blocked for its failures (blocked).",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.stats, m.percent, m.state, m.guardTrips, m.conns, m.inflight, m.shedTotal, m.adminAuth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) observe(endpoint, outcome string, d time.Duration) {
	c := cached(&m.mu, m.children, obsKey{endpoint, outcome}, func() obsChild {
		return obsChild{m.requests.WithLabelValues(endpoint, outcome), m.duration.WithLabelValues(endpoint, outcome)}
	})
	c.count.Inc()
	c.dur.Observe(d.Seconds())
}

// watchDevices exports the devices kept in memory and the new ones that
// found no room.
func (m *metrics) watchDevices(counts func() (int, int64)) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "otasim_server_devices", Help: "Devices kept in memory (active within 24 h; bounded by --max-devices).",
		}, func() float64 { n, _ := counts(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "otasim_server_devices_untracked_total", Help: "Checks of new devices answered but not kept: the device table was full of active devices.",
		}, func() float64 { _, n := counts(); return float64(n) }))
}

// watchWriter exports the stats writer's queue, health and retries.
func (m *metrics) watchWriter(queue func() (int64, bool), stats func() store.WriterStats) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "otasim_server_stats_queue_events", Help: "Stats events waiting for the writer, queued or being committed (bounded by --stats-queue).",
		}, func() float64 { n, _ := queue(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "otasim_server_stats_storage_failing", Help: "1 while the last commit of stats failed (/stats answers 503 with Retry-After).",
		}, func() float64 {
			if _, failing := queue(); failing {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "otasim_server_stats_retries_total", Help: "Stats events recognised as retries of stored ones: acknowledged, not stored or counted again.",
		}, func() float64 { return float64(stats().Retries) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "otasim_server_stats_retry_window_cuts_total", Help: "Times the retry window was shortened because it held --stats-retry-max events.",
		}, func() float64 { return float64(stats().WindowCuts) }))
}

// watchCPU exports the CPU guard's state.
func (m *metrics) watchCPU(g *cpuGuard) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "otasim_server_stats_cpu_limit_bytes", Help: "Bytes per second of /stats bodies admitted while the CPU is saturated (0: no limit).",
		}, func() float64 { return float64(g.limit.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "otasim_server_sched_latency_p99_seconds", Help: "p99 of the Go scheduler's latency over the last 100 ms (runnable goroutines waiting for a CPU).",
		}, func() float64 { return float64(g.p99.Load()) / 1e9 }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "otasim_server_sched_queue", Help: "Runnable goroutines per P, on average over the last 100 ms (the server's own work waiting for a CPU).",
		}, func() float64 { return float64(g.queue.Load()) / 1000 }))
}

// shed counts a refusal to keep within a bound.
func (m *metrics) shed(endpoint, reason string) { m.shedTotal.WithLabelValues(endpoint, reason).Inc() }

// statsEvent counts a stored event by its action, or a refused one
// ("invalid"). Only known actions are stored, so the children are few.
func (m *metrics) statsEvent(action string) {
	cached(&m.mu, m.actions, action, func() prometheus.Counter { return m.stats.WithLabelValues(action) }).Inc()
}

// cached is children's entry for k, made by child and kept the first
// time k is asked for.
func cached[K comparable, V any](mu *sync.RWMutex, children map[K]V, k K, child func() V) V {
	mu.RLock()
	c, ok := children[k]
	mu.RUnlock()
	if !ok {
		c = child()
		mu.Lock()
		children[k] = c
		mu.Unlock()
	}
	return c
}

func (m *metrics) guardTrip(app, channel, action string) {
	m.guardTrips.WithLabelValues(app, channel, action).Inc()
}

// setRollouts refreshes the rollout gauges from a snapshot.
func (m *metrics) setRollouts(snap *release.Snapshot) {
	states := [...]string{"none", string(release.RolloutRunning), string(release.RolloutPaused),
		string(release.RolloutPromoted), string(release.RolloutRolledBack)}
	for _, a := range snap.Apps {
		for _, c := range a.Channels {
			cur, bp := "none", 0
			if c.Rollout != nil {
				cur = string(c.Rollout.State)
				if c.Rollout.InProgress() {
					bp = c.Rollout.PercentBP
				}
			}
			m.percent.WithLabelValues(a.ID, c.Name).Set(float64(bp))
			for _, st := range states {
				v := 0.0
				if st == cur {
					v = 1
				}
				m.state.WithLabelValues(a.ID, c.Name, st).Set(v)
			}
		}
	}
}

// AuthFailed counts a wrong or missing admin token (admin.AuthObserver).
func (m *metrics) AuthFailed() { m.adminAuth.WithLabelValues("failed").Inc() }

// AuthBlocked counts a call refused for its address's failures
// (admin.AuthObserver).
func (m *metrics) AuthBlocked() { m.adminAuth.WithLabelValues("blocked").Inc() }

// Published refreshes the rollout gauges (live.Observer).
func (m *metrics) Published(snap *release.Snapshot) { m.setRollouts(snap) }

// GuardTripped counts a guard trip (live.Observer).
func (m *metrics) GuardTripped(app, channel, action string) { m.guardTrip(app, channel, action) }
