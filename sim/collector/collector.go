package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/admin"
	"github.com/otasim/otasim/sim/merge"
	"github.com/otasim/otasim/sim/results"
)

// Defaults of Config.
const (
	DefaultRegisterTimeout = 2 * time.Minute
	DefaultLead            = 2 * time.Second
	DefaultGrace           = 2 * time.Minute
	// maxUpload bounds a shard's results (summary, series, histograms).
	maxUpload = 1 << 30
)

// Config configures a collector.
type Config struct {
	Scenario *scenarios.Scenario
	// Want is the run every shard must be a shard of: scenario, seed,
	// devices, speed and duration as resolved (Index is not read);
	// Want.Count the number of shards.
	Want Registration
	// Admin carries out the timeline; nil: every step is answered as
	// refused (404), so the shards record it skipped.
	Admin *admin.Client
	RunID string
	// RegisterTimeout bounds the wait for every shard to register; the
	// run starts with those registered by then (at least one).
	RegisterTimeout time.Duration
	// Lead is the time between the start's announcement and the start.
	Lead time.Duration
	// Grace bounds the wait for the shards' results after the virtual
	// clock's end.
	Grace time.Duration
	// StateDir, when set, keeps the run's state (start, steps carried
	// out) and the shards' results, so that a restarted collector resumes.
	StateDir string
	// Progress receives the fleet's progress about every ProgressEvery.
	Progress      func(results.Progress)
	ProgressEvery time.Duration
	Logger        *slog.Logger
	Now           func() time.Time
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Scenario == nil {
		errs = append(errs, errors.New("no scenario"))
	}
	if c.Want.Count < 1 {
		errs = append(errs, fmt.Errorf("%d shards: want at least 1", c.Want.Count))
	}
	if c.Want.Speed <= 0 || c.Want.DurationS <= 0 {
		errs = append(errs, errors.New("the run needs a speed and a duration"))
	}
	if c.RegisterTimeout < 0 || c.Lead < 0 || c.Grace < 0 {
		errs = append(errs, errors.New("timeouts must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	return nil
}

// Collector is one sharded run's collector.
type Collector struct {
	cfg Config

	mu         sync.Mutex
	registered map[int]bool
	start      *Start
	started    chan struct{} // closed once start is set
	steps      []step
	last       map[int]results.Progress
	runs       map[int]*results.Run
	failed     map[int]string
	changed    chan struct{} // a result or failure came in (1 slot)
}

type step struct {
	done chan struct{}
	out  StepOutcome
}

// New returns a collector; Run runs it, Handler is its API.
func New(cfg Config) (*Collector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RegisterTimeout == 0 {
		cfg.RegisterTimeout = DefaultRegisterTimeout
	}
	if cfg.Lead == 0 {
		cfg.Lead = DefaultLead
	}
	if cfg.Grace == 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Collector{cfg: cfg, registered: map[int]bool{}, started: make(chan struct{}),
		steps: make([]step, len(cfg.Scenario.Timeline)), last: map[int]results.Progress{},
		runs: map[int]*results.Run{}, failed: map[int]string{}, changed: make(chan struct{}, 1)}
	for i := range c.steps {
		c.steps[i].done = make(chan struct{})
	}
	if err := c.resume(); err != nil {
		return nil, err
	}
	return c, nil
}

// Handler serves the collector's API.
func (c *Collector) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathRegister, c.handleRegister)
	mux.HandleFunc("GET "+pathClock, c.handleClock)
	mux.HandleFunc("POST "+pathProgress+"{i}", c.handleProgress)
	mux.HandleFunc("POST "+pathStep+"{i}", c.handleStep)
	mux.HandleFunc("POST "+pathResults+"{i}", c.handleResults)
	mux.HandleFunc("POST "+pathFailed+"{i}", c.handleFailed)
	return mux
}

// Run waits for the shards, starts them, carries out the timeline, and
// returns the merged run once every shard that registered has sent its
// results or failure, or the grace after the end has passed, or ctx ends
// (the shards missing then are named in the verdict).
func (c *Collector) Run(ctx context.Context) (*results.Run, error) {
	if err := c.waitRegistrations(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	start := *c.start
	c.mu.Unlock()
	endWall := start.At.Add(time.Duration(c.cfg.Want.DurationS / c.cfg.Want.Speed * float64(time.Second)))
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.timeline(tctx, start) }()
	go func() { defer wg.Done(); c.progressLoop(tctx, start) }()
	c.waitResults(ctx, endWall.Add(c.cfg.Grace))
	cancel()
	wg.Wait()
	if c.cfg.Progress != nil {
		c.cfg.Progress(c.Fleet(start)) // with every shard's last snapshot, taken after its summary
	}
	return c.merge()
}

func (c *Collector) waitRegistrations(ctx context.Context) error {
	select {
	case <-c.started: // resumed
		return nil
	default:
	}
	deadline := time.NewTimer(c.cfg.RegisterTimeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		n := len(c.registered)
		c.mu.Unlock()
		if n == c.cfg.Want.Count {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("collector: interrupted while %d of %d shards had registered", n, c.cfg.Want.Count)
		case <-deadline.C:
			if n == 0 {
				return fmt.Errorf("collector: no shard registered within %v", c.cfg.RegisterTimeout)
			}
			c.cfg.Logger.Warn("starting without every shard", "registered", n, "shards", c.cfg.Want.Count)
		case <-time.After(50 * time.Millisecond):
			continue
		}
		break
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.start = &Start{RunID: c.cfg.RunID, At: c.cfg.Now().Add(c.cfg.Lead).UTC(), Speed: c.cfg.Want.Speed}
	close(c.started)
	c.cfg.Logger.Info("start", "at", c.start.At, "shards", len(c.registered))
	return c.saveLocked()
}

// waitResults returns when every registered shard has ended, at deadline,
// or when ctx ends.
func (c *Collector) waitResults(ctx context.Context, deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		c.mu.Lock()
		pending := 0
		for i := range c.registered {
			if c.runs[i] == nil && c.failed[i] == "" {
				pending++
			}
		}
		c.mu.Unlock()
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.cfg.Logger.Warn("results missing at the deadline", "shards", pending)
			return
		case <-c.changed:
		}
	}
}

func (c *Collector) merge() (*results.Run, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var shards []merge.Shard
	for i := range c.cfg.Want.Count {
		s := merge.Shard{Index: i, Run: c.runs[i], Failed: c.failed[i]}
		switch {
		case !c.registered[i]:
			s.Missing = "never registered"
		case s.Run == nil && s.Failed == "":
			s.Missing = "registered, sent no results"
			if p, ok := c.last[i]; ok {
				s.Missing += fmt.Sprintf(" (last heard at virtual %s)", time.Duration(p.VirtualS*float64(time.Second)).Round(time.Second))
			}
		}
		shards = append(shards, s)
	}
	return merge.Merge(merge.Config{Scenario: c.cfg.Scenario, Count: c.cfg.Want.Count, Shards: shards, RunID: c.cfg.RunID})
}

func shardIndex(r *http.Request, n int) (int, bool) {
	i, err := strconv.Atoi(r.PathValue("i"))
	return i, err == nil && i >= 0 && i < n
}

func (c *Collector) handleRegister(w http.ResponseWriter, r *http.Request) {
	var reg Registration
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&reg); err != nil {
		http.Error(w, "registration: "+err.Error(), http.StatusBadRequest)
		return
	}
	if msg := c.mismatch(reg); msg != "" {
		http.Error(w, msg, http.StatusConflict)
		return
	}
	c.mu.Lock()
	switch {
	case c.start != nil:
		c.mu.Unlock()
		http.Error(w, fmt.Sprintf("the run started at %s without shard %d", c.start.At.Format(time.RFC3339), reg.Index), http.StatusConflict)
		return
	case c.registered[reg.Index]:
		c.mu.Unlock()
		http.Error(w, fmt.Sprintf("shard %d registered twice", reg.Index), http.StatusConflict)
		return
	}
	c.registered[reg.Index] = true
	c.mu.Unlock()
	c.cfg.Logger.Info("registered", "shard", reg.Index)
	select {
	case <-r.Context().Done():
		c.mu.Lock()
		if c.start == nil { // gone before the start: not part of the run
			delete(c.registered, reg.Index)
		}
		c.mu.Unlock()
		return
	case <-c.started:
	}
	c.mu.Lock()
	st := *c.start
	c.mu.Unlock()
	writeJSON(w, st)
}

// mismatch says how a registration is not of this run ("" when it is).
func (c *Collector) mismatch(reg Registration) string {
	want := c.cfg.Want
	var diffs []string
	if reg.Count != want.Count || reg.Index < 0 || reg.Index >= want.Count {
		diffs = append(diffs, fmt.Sprintf("shard %d/%d, the run has %d shards", reg.Index, reg.Count, want.Count))
	}
	if reg.Scenario != want.Scenario || reg.ScenarioHash != want.ScenarioHash {
		diffs = append(diffs, fmt.Sprintf("scenario %s (%s), the run's is %s (%s)", reg.Scenario, reg.ScenarioHash, want.Scenario, want.ScenarioHash))
	}
	if reg.Seed != want.Seed || reg.Devices != want.Devices || reg.Speed != want.Speed || reg.DurationS != want.DurationS {
		diffs = append(diffs, fmt.Sprintf("seed %d, %d devices, speed %g, %g s; the run: seed %d, %d devices, speed %g, %g s",
			reg.Seed, reg.Devices, reg.Speed, reg.DurationS, want.Seed, want.Devices, want.Speed, want.DurationS))
	}
	if len(diffs) == 0 {
		return ""
	}
	return "not a shard of this run: " + strings.Join(diffs, "; ")
}

// handleClock gives the run's start and speed (404 before the start): a
// server following the run's virtual clock reads it (otasim serve
// --clock-from).
func (c *Collector) handleClock(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	st := c.start
	c.mu.Unlock()
	if st == nil {
		http.Error(w, "not started", http.StatusNotFound)
		return
	}
	writeJSON(w, st)
}

func (c *Collector) handleProgress(w http.ResponseWriter, r *http.Request) {
	i, ok := shardIndex(r, c.cfg.Want.Count)
	var p results.Progress
	if !ok || json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&p) != nil {
		http.Error(w, "bad progress", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.last[i] = p
	c.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (c *Collector) handleStep(w http.ResponseWriter, r *http.Request) {
	idx, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || idx < 0 || idx >= len(c.steps) {
		http.Error(w, "no such step", http.StatusNotFound)
		return
	}
	select {
	case <-r.Context().Done():
		return
	case <-c.steps[idx].done:
	}
	c.mu.Lock()
	out := c.steps[idx].out
	c.mu.Unlock()
	writeJSON(w, out)
}

func (c *Collector) handleResults(w http.ResponseWriter, r *http.Request) {
	i, ok := shardIndex(r, c.cfg.Want.Count)
	if !ok {
		http.Error(w, "no such shard", http.StatusNotFound)
		return
	}
	var run results.Run
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxUpload)).Decode(&run); err != nil {
		http.Error(w, "results: "+err.Error(), http.StatusBadRequest)
		return
	}
	if want := fmt.Sprintf("%d/%d", i, c.cfg.Want.Count); run.Summary.Shard != want && c.cfg.Want.Count > 1 {
		http.Error(w, fmt.Sprintf("results of shard %q sent as shard %s", run.Summary.Shard, want), http.StatusConflict)
		return
	}
	if err := c.keepRun(i, &run); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	c.cfg.Logger.Info("results", "shard", i, "requests", run.Summary.Harness.Requests, "verdict", run.Summary.Verdict)
	c.notify()
	w.WriteHeader(http.StatusNoContent)
}

func (c *Collector) handleFailed(w http.ResponseWriter, r *http.Request) {
	i, ok := shardIndex(r, c.cfg.Want.Count)
	var f Failure
	if !ok || json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&f) != nil {
		http.Error(w, "bad failure", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.failed[i] = firstNonEmpty(f.Reason, "failed")
	c.mu.Unlock()
	c.cfg.Logger.Warn("shard failed", "shard", i, "reason", f.Reason)
	c.notify()
	w.WriteHeader(http.StatusNoContent)
}

func (c *Collector) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
