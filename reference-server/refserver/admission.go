package refserver

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otasim/otasim/protocol"
)

// Reasons of a shed request (the label of otasim_server_shed_total and
// moreInfo.reason of the reply).
const (
	ReasonInFlight   = "server_busy"      // the endpoint holds its maximum of requests
	ReasonStatsQueue = "stats_queue_full" // the stats writer holds its maximum of events
	ReasonUnhealthy  = "storage_failing"  // the last commit failed: stats cannot be stored now
	ReasonCPU        = "cpu_saturated"    // /stats shed so that update checks stay fast (cpuGuard)
)

// Retry-After of a shed request: a client is told to come back in
// retryBusyS to 2 × retryBusyS seconds (drawn, so that a crowd shed at
// once does not come back at once), retryUnhealthyS when storage fails.
const (
	retryBusyS      = 1
	retryUnhealthyS = 5
)

// gate bounds the requests an endpoint handles at once and, for /stats,
// the bytes of their bodies; a request past either bound is shed before
// its body is read, so memory stays bounded whatever the load.
type gate struct {
	name     string
	max      int64
	maxBytes int64 // 0: no bound on bytes
	n, bytes atomic.Int64
	gauge    prometheus.Gauge // otasim_server_inflight_requests of the endpoint
	cpu      *cpuGuard        // /stats only: shed when the CPU is saturated
}

// enter admits a request whose body has size bytes (its Content-Length,
// or the endpoint's body limit when it is not known).
func (g *gate) enter(size int64) bool {
	if g.n.Add(1) > g.max {
		g.n.Add(-1)
		return false
	}
	if g.maxBytes > 0 && g.bytes.Add(size) > g.maxBytes && g.n.Load() > 1 {
		g.bytes.Add(-size)
		g.n.Add(-1)
		return false
	}
	return true
}

func (g *gate) leave(size int64) {
	if g.maxBytes > 0 {
		g.bytes.Add(-size)
	}
	g.n.Add(-1)
}

// admit runs h for requests the gate admits and sheds the others with the
// backend's 429 too_many_requests and Retry-After, which the plugin
// honours (A/CapgoUpdater.java:2006-2041: it holds every request until
// then; its stats stay queued).
func (s *Server) admit(g *gate, limit int64, h endpointFunc) endpointFunc {
	return func(w http.ResponseWriter, r *http.Request) string {
		size := limit
		if r.ContentLength >= 0 && r.ContentLength < limit {
			size = r.ContentLength
		}
		if !g.enter(size) {
			return s.shed(w, g.name, ReasonInFlight)
		}
		if g.cpu != nil && !g.cpu.admit(size) {
			g.leave(size)
			return s.shed(w, g.name, ReasonCPU)
		}
		g.gauge.Inc()
		defer func() {
			g.leave(size)
			g.gauge.Dec()
		}()
		return h(w, r)
	}
}

// shed refuses a request to stay within a bound: 429 too_many_requests
// (503 server_error when storage fails) in the backend's rate-limit shape,
// with moreInfo.reason, Retry-After and the reset time.
func (s *Server) shed(w http.ResponseWriter, endpoint, reason string) string {
	s.metrics.shed(endpoint, reason)
	now := time.Now()
	if reason == ReasonUnhealthy {
		w.Header().Set("Retry-After", strconv.Itoa(retryUnhealthyS))
		writeReply(w, s.ctypeJSON, http.StatusServiceUnavailable,
			plainError(protocol.CodeServerError, "cannot store events now, retry later", "reason", reason))
		return protocol.CodeServerError
	}
	retry := time.Duration(retryBusyS*1000+rand.IntN(retryBusyS*1000+1)) * time.Millisecond
	return s.tooMany(w, now, now.Add(retry), "reason", reason)
}

// gates are the device endpoints' gates.
type gates struct {
	updates, stats, channelSelf gate
}

func newGates(b Bounds, m *metrics, cpu *cpuGuard) *gates {
	if b.NoCPUGuard {
		cpu = nil
	}
	g := &gates{
		updates:     gate{name: "updates", max: int64(b.MaxInFlight)},
		stats:       gate{name: "stats", max: int64(b.MaxInFlight), maxBytes: b.MaxInFlightBytes, cpu: cpu},
		channelSelf: gate{name: "channel_self", max: int64(b.MaxInFlight)},
	}
	for _, e := range []*gate{&g.updates, &g.stats, &g.channelSelf} {
		e.gauge = m.inflight.WithLabelValues(e.name)
	}
	return g
}

// healthz answers 200 {"status":"ok"}, or, while the last commit of stats
// failed (disk full, I/O errors), 503 in the shape of a shed /stats with
// reason storage_failing, so that a load balancer or an orchestrator sees
// a server that acknowledges no stats. Shedding under load is not
// unhealthy: /healthz stays 200 then.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if _, failing := s.state.StatsQueue(); failing {
		w.Header().Set("Retry-After", strconv.Itoa(retryUnhealthyS))
		writeReply(w, s.ctypeJSON, http.StatusServiceUnavailable,
			plainError(protocol.CodeServerError, "cannot store stats now", "reason", ReasonUnhealthy))
		return
	}
	writeReply(w, s.ctypeJSON, http.StatusOK, s.replies.statusOK)
}
