package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/admin"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/population"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/vclock"
)

// Config configures a run.
type Config struct {
	Scenario *scenarios.Scenario
	// Endpoints are the three protocol URLs the devices use.
	Endpoints client.Endpoints
	// PushURL is the server's WebSocket push endpoint (ws:// or wss://),
	// used by cohorts with push on; empty: no push.
	PushURL string
	// Dial opens the devices' connections, API, downloads and push alike
	// (default TCP): an in-process server may be reached through an
	// in-memory listener, the same bytes to the same handlers.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Admin drives the timeline; nil: every action is skipped and listed.
	Admin *admin.Client
	// Server describes the target for the summary.
	Server results.ServerInfo
	// Clock receives the run's virtual clock when the run starts (a server
	// in the same process reads its time from it). Optional.
	Clock *vclock.Source
	// Now is the wall clock (default time.Now).
	Now func() time.Time

	// Shard is the part of the fleet this process simulates (the zero
	// Part: all of it); the shards of one run, each with the same seed,
	// together are the fleet of a single process.
	Shard population.Part
	// StartAt, when set, is called once the server is set up and returns
	// the wall instant the virtual clock starts at; the run waits for it.
	// The shards of a run get the same one (from their collector, or a
	// fixed --start-at), so they share one clock.
	StartAt func(ctx context.Context) (time.Time, error)
	// Steps, when set, carries out the timeline's steps instead of Admin
	// (a sharded run's collector carries them out once for the fleet).
	Steps StepRunner

	// Overrides of the scenario; zero keeps the scenario's value.
	Devices         int
	Speed           float64
	Duration        time.Duration
	Seed            uint64
	ResponseTimeout time.Duration

	RunID string
	// Progress is called about every ProgressEvery of wall time (default
	// 1 s) from the engine goroutine; keep it quick.
	Progress      func(results.Progress)
	ProgressEvery time.Duration
	// ProgressTotals fills Progress.Totals in every snapshot (and in a
	// last one once the summary is made): for exporters of the run.
	ProgressTotals bool
	Logger         *slog.Logger
	// DrainTimeout bounds the wait for requests in flight at the end
	// (default the response timeout and a second, so that every request
	// ends in a reply or a timeout; 3 s when interrupted).
	DrainTimeout time.Duration
	// HeapProfile, when set, receives a pprof heap profile taken when the
	// clock reaches the end, while the whole fleet is still in memory.
	HeapProfile io.Writer

	// maxBacklog overrides the engine's bound on requests waiting for a
	// worker (tests).
	maxBacklog int
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Scenario == nil {
		return errors.New("sim: no scenario")
	}
	if err := c.Endpoints.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Devices < 0 {
		errs = append(errs, fmt.Errorf("devices %d: must not be negative", c.Devices))
	}
	if err := c.Shard.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Speed < 0 || c.Speed > 1e6 {
		errs = append(errs, fmt.Errorf("speed %v: want 0 (the scenario's) or up to 1e6", c.Speed))
	}
	if c.Duration < 0 {
		errs = append(errs, fmt.Errorf("duration %v: must not be negative", c.Duration))
	}
	if c.ResponseTimeout < 0 || c.ResponseTimeout > scenarios.MaxResponseTimeout.D() {
		errs = append(errs, fmt.Errorf("response timeout %v: want 0 (the scenario's) or up to %v", c.ResponseTimeout, scenarios.MaxResponseTimeout))
	}
	sc := c.Scenario
	if c.Duration == 0 && sc.Run.Duration <= 0 {
		errs = append(errs, errors.New("the run has no duration"))
	}
	if c.Speed == 0 && sc.Run.Speed <= 0 {
		errs = append(errs, errors.New("the run has no speed"))
	}
	if len(sc.Bundles) > 60 {
		errs = append(errs, fmt.Errorf("%d bundles: at most 60", len(sc.Bundles)))
	}
	if sc.Run.Workers < 0 || sc.Run.Connections < 0 {
		errs = append(errs, errors.New("workers and connections must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	return nil
}

// StepRunner carries out step idx of the timeline (st) for the run; its
// error is the step's outcome, as the admin API's would be.
type StepRunner interface {
	Step(ctx context.Context, idx int, st *scenarios.Step) error
}

// settings are the resolved values of a run.
type settings struct {
	devices     int
	speed       float64
	duration    time.Duration
	seed        uint64
	sampleEvery time.Duration
	workers     int
	dlWorkers   int
	connections int
	drain       time.Duration
	maxBacklog  int

	responseTimeout time.Duration
}

func (c *Config) settings() settings {
	sc := c.Scenario
	s := settings{devices: sc.Fleet.Devices, speed: sc.Run.Speed, duration: sc.Run.Duration.D(), seed: sc.Run.Seed,
		sampleEvery: sc.Run.SampleEvery.D(), workers: sc.Run.Workers, connections: sc.Run.Connections, drain: c.DrainTimeout}
	if c.Devices > 0 {
		s.devices = c.Devices
	}
	if c.Speed > 0 {
		s.speed = c.Speed
	}
	if c.Duration > 0 {
		s.duration = c.Duration
	}
	if c.Seed != 0 {
		s.seed = c.Seed
	}
	if s.sampleEvery <= 0 {
		s.sampleEvery = 10 * time.Minute
	}
	// At least ~100 samples over the run, so adoption times are precise.
	s.sampleEvery = min(s.sampleEvery, max(s.duration/100, time.Minute))
	if s.workers <= 0 {
		s.workers = 256
	}
	if s.connections <= 0 {
		s.connections = 64
	}
	// Downloads get their own, smaller pool: hashing the bytes is CPU
	// bound, so more parallel transfers than a couple per core only split
	// the CPU and starve the API calls of it.
	s.dlWorkers = max(2, min(s.connections, 2*runtime.GOMAXPROCS(0)))
	s.maxBacklog = c.maxBacklog
	if s.maxBacklog <= 0 {
		s.maxBacklog = maxBacklog
	}
	s.responseTimeout = sc.Run.ResponseTimeout.D()
	if c.ResponseTimeout > 0 {
		s.responseTimeout = c.ResponseTimeout
	}
	if s.responseTimeout <= 0 {
		s.responseTimeout = scenarios.DefaultResponseTimeout.D()
	}
	if s.drain <= 0 {
		s.drain = s.responseTimeout + time.Second
	}
	return s
}
