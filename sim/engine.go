package sim

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/otasim/otasim/appbundle"
	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/metrics"
	"github.com/otasim/otasim/sim/population"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/sched"
	"github.com/otasim/otasim/sim/vclock"
	"github.com/otasim/otasim/sim/verdict"
)

// Engine event kinds (device.Timer* kinds are below FirstEngineTimer).
const (
	evSessionStart = device.FirstEngineTimer + iota
	evSessionEnd
	evChurn
	evFlushStats
	evDeliver
	evTimeline
	evSample
	evEnd
	evPush
)

// noDevice marks events that belong to no device.
const noDevice = math.MaxUint32

// activeWindow: a device is active when it had a session this recently.
const activeWindow = 24 * 3600 * 1000

// lateBound is how far behind its wall time an event may be handled
// before it counts as late.
const lateBound = 100 * time.Millisecond

// engine is one run. Everything here belongs to the engine goroutine;
// workers see only the jobs handed to them.
type engine struct {
	cfg   *Config
	set   settings
	log   *slog.Logger
	sc    *scenarios.Scenario
	now   func() time.Time // the wall clock
	clk   *vclock.Clock
	endMs int64

	pop *population.Population
	cl  *client.Client
	rec *metrics.Recorder
	m   device.Machine
	q   *sched.Queue // every device's next events, the samples and the timeline

	// The fleet, by device: its state, derived attributes, the bundles it
	// ran and those whose files are in its delta cache (a bit per bundle,
	// manifest.go); running[cohort][bundle] counts devices running a
	// bundle, kept at every change (rollback tracking needs it between
	// samples).
	devs    []device.State
	attrs   []population.Attrs
	ran     []uint64
	cached  []uint64
	running [][]int64

	bundles  bundleTable
	profiles []scenarios.NetworkProfile // by population profile index
	cohorts  []string
	plats    platformTable

	// files are the synthetic bundles' files; deliv the delivery metrics;
	// key the app's key pair when it has encrypted bundles (devices hold
	// pub), opened the encrypted hashes already opened with it;
	// curManifest the manifest of the download being delivered.
	files       *fileReg
	deliv       *metrics.Deliveries
	key         *rsa.PrivateKey
	pub         *rsa.PublicKey
	keyID       string
	opened      map[string]string
	curManifest []protocol.ManifestFile

	side   sides      // per-device side state while requests are in flight
	stats  statsState // per-device stats queues and their outcomes
	pool   *pool      // workers, their lanes and backlogs
	parked parking    // completions waiting for their modelled time
	jobs   jobPool

	// curAt is the virtual time (ms) of the event being handled: the
	// intended time of what it causes.
	curAt    int64
	stopping bool // the clock ended: nothing new is sent

	timeline timelineState
	push     pushState
	series   seriesBuilder
	warnings []string

	// loss finds the spans in which the target answered nothing; abort
	// stops the run on abort_on_fail (abort.go); abandoned counts the
	// requests the drain gave up on.
	loss      *metrics.LossWatch
	abort     abortState
	abortedBy string
	abandoned int64
	stoppedMs int64 // virtual time the loop stopped (the end, Ctrl-C or an abort)
}

// Run runs the scenario. It returns the results also when ctx is cancelled
// (Summary.Interrupted set) or the target fails mid-run (failures are
// recorded); an error means the run could not start or its results could
// not be assembled.
func Run(ctx context.Context, cfg Config) (*results.Run, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e, err := newEngine(&cfg)
	if err != nil {
		return nil, err
	}
	defer e.cl.Close()
	return e.run(ctx)
}

func newEngine(cfg *Config) (*engine, error) {
	e := &engine{cfg: cfg, set: cfg.settings(), sc: cfg.Scenario, log: cfg.Logger, now: cfg.Now,
		opened: map[string]string{}, files: &fileReg{byHash: map[string]uint32{}}}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	pop, err := population.New(e.sc, e.set.seed, e.set.devices)
	if err == nil {
		pop, err = pop.Shard(cfg.Shard)
	}
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	e.pop = pop
	cl, err := client.New(client.Config{Endpoints: cfg.Endpoints, Connections: e.set.connections,
		DownloadConnections: e.set.dlWorkers, ResponseTimeout: e.set.responseTimeout, PlatformTimeouts: apiTimeouts(e.set.responseTimeout), Dial: cfg.Dial})
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	e.cl = cl
	e.bundles = newBundleTable(e.sc)
	for _, name := range pop.Profiles {
		e.profiles = append(e.profiles, e.sc.Network[name])
	}
	for _, c := range pop.Cohorts {
		e.cohorts = append(e.cohorts, c.Name)
	}
	e.plats = newPlatformTable(pop, e.sc.App.ID)
	e.rec = metrics.New(len(pop.Cohorts), len(pop.Profiles))
	if cfg.Shard.Sharded() {
		e.rec.KeepIntervals() // for the merge's per-interval percentiles
	}
	e.deliv = metrics.NewDeliveries(len(pop.Cohorts), len(pop.Profiles))
	e.loss = metrics.NewLossWatch(metrics.LossWindow, metrics.LossMinFailures)
	e.abort.watch = verdict.NewWatch(e.sc.TargetSpecs())
	e.side, e.stats = newSides(pop.N), newStatsState(pop.N)
	e.pool = newPool(e.set.workers, e.set.dlWorkers, e.set.maxBacklog)
	e.m = device.Machine{Env: e}
	e.endMs = e.set.duration.Milliseconds()
	e.running = make([][]int64, len(pop.Cohorts))
	for c := range e.running {
		e.running[c] = make([]int64, device.MaxBundles)
	}
	return e, nil
}

func (e *engine) run(ctx context.Context) (*results.Run, error) {
	startWall := e.now()
	if e.cfg.Admin != nil {
		if err := e.setup(ctx); err != nil {
			return nil, err
		}
	}
	e.initDevices()
	e.initTimeline()

	start, err := e.waitStart(ctx)
	if err != nil {
		return nil, err
	}
	clk, err := vclock.New(e.set.speed, start, e.now)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	e.clk = clk
	if e.cfg.Clock != nil {
		e.cfg.Clock.Set(clk)
	}
	e.series.init(e.set.sampleEvery, e.cohorts)
	e.q.Push(sched.Event{At: 0, Device: noDevice, Kind: evSample})
	e.q.Push(sched.Event{At: e.endMs, Device: noDevice, Kind: evEnd})

	hardCtx, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hardCancel()
	workersDone := e.pool.start(hardCtx, e.work)
	e.push.init(hardCtx, e.cfg.Dial)
	adminDone := e.timeline.start(hardCtx, e.cfg.Admin, e.cfg.Steps, e.sc.App.ID)

	interrupted := e.loop(ctx)
	e.stoppedMs = min(e.virtualMs(), e.endMs) // the drain that follows is not the run's time
	if e.cfg.HeapProfile != nil {
		runtime.GC() // the profile shows what is live now
		if err := pprof.Lookup("heap").WriteTo(e.cfg.HeapProfile, 0); err != nil {
			e.warnings = append(e.warnings, "writing the heap profile: "+err.Error())
		}
	}

	// Drain: stop sending, wait a bounded time for what is in flight.
	e.stopping = true
	e.closePush()
	drain := e.set.drain
	if interrupted {
		drain = min(drain, 3*time.Second)
	}
	e.drain(drain)
	hardCancel()
	e.pool.close()
	// Workers finish what they hold (cancelled); keep taking their results
	// so none blocks handing one back.
	for waiting := true; waiting; {
		select {
		case <-workersDone:
			waiting = false
		case <-e.pool.done:
		}
	}
	e.timeline.stop()
	<-adminDone
	// Outcomes the loop had no time to take.
	for drained := false; !drained; {
		select {
		case r := <-e.timeline.results:
			e.timelineResult(r)
		default:
			drained = true
		}
	}
	e.collectTimeline(context.WithoutCancel(ctx))
	e.sample(min(e.virtualMs(), e.endMs))
	run, err := e.summarise(ctx, startWall, interrupted)
	if err != nil {
		return nil, err
	}
	if e.cfg.Progress != nil {
		e.cfg.Progress(e.finalProgress(&run.Summary))
	}
	return run, nil
}

// setup creates the app, bundles and channels on the server.
func (e *engine) setup(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := e.cfg.Admin.Health(sctx); err != nil && !errors.Is(err, context.Canceled) {
		// A server without /healthz may still have an admin API.
		e.log.Debug("healthz", "err", err)
	}
	built, err := e.buildBundles()
	if err != nil {
		return err
	}
	got, err := e.cfg.Admin.Setup(sctx, e.sc, built)
	if err != nil {
		return fmt.Errorf("sim: set up the server: %w", err)
	}
	for v, b := range got {
		e.bundles.setSHA(v, b.SHA256, b.Size)
	}
	return nil
}

// buildBundles makes the app's key pair when a bundle is encrypted and
// builds the bundles the simulator uploads itself.
func (e *engine) buildBundles() (map[string]*appbundle.Built, error) {
	for _, b := range e.sc.Bundles {
		if b.Encrypted && e.key == nil {
			k, err := appbundle.GenerateKey()
			if err != nil {
				return nil, fmt.Errorf("sim: %w", err)
			}
			e.key, e.pub = k, &k.PublicKey
			e.keyID = appbundle.KeyID(appbundle.PublicPEM(e.pub))
		}
	}
	synth, reg, err := buildSynthetic(e.sc, e.set.seed, &e.bundles, e.key)
	if err != nil {
		return nil, err
	}
	e.files = reg
	built := map[string]*appbundle.Built{}
	for v, sb := range synth {
		built[v] = sb.built
		e.bundles.synth[e.bundles.index[v]] = sb
	}
	return built, nil
}

func (e *engine) initDevices() {
	n := e.pop.N
	e.devs = make([]device.State, n)
	e.attrs = make([]population.Attrs, n)
	e.ran = make([]uint64, n)
	e.cached = make([]uint64, n)
	e.q = sched.NewQueue(n + 1024)
	for i := range uint32(n) {
		a := e.pop.Attrs(i)
		e.attrs[i] = a
		s := device.NewState(device.Never)
		s.Channel = e.channelIndex(e.pop.Cohorts[a.Cohort].Channel)
		ls := e.pop.LastSession(i)
		if ls != population.Never {
			s.LastSession = ls
			s.Flags |= device.FlagJoined
			e.running[a.Cohort][device.Builtin]++
			e.ran[i] = 1
			first, ctr := e.pop.NextSession(i, &a, 0, 0)
			s.SessCtr = ctr
			if first < e.endMs {
				e.q.Push(sched.Event{At: first, Device: i, Kind: evSessionStart})
			}
		} else if a.JoinAt < e.endMs {
			e.q.Push(sched.Event{At: a.JoinAt, Device: i, Kind: evSessionStart})
		}
		if a.ChurnAt < e.endMs {
			e.q.Push(sched.Event{At: a.ChurnAt, Device: i, Kind: evChurn})
		}
		e.devs[i] = s
	}
}

func (e *engine) virtualMs() int64 { return e.clk.SinceStart().Milliseconds() }

// loop handles events as they come due and completions as they arrive,
// until the end event or ctx. It reports whether ctx interrupted the run.
func (e *engine) loop(ctx context.Context) bool {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	lastProgress := e.now()
	progressEvery := e.cfg.ProgressEvery
	if progressEvery <= 0 {
		progressEvery = time.Second
	}
	for {
		e.pool.flush()
		nowMs := e.virtualMs()
		if e.pool.saturated() && nowMs >= e.endMs {
			// The clock ran out while the workers could not keep up: what
			// is still queued counts as dropped.
			return false
		}
		for !e.pool.saturated() {
			ev, ok := e.q.Peek()
			if !ok || ev.At > nowMs {
				break
			}
			e.q.Pop()
			if ev.Kind == evEnd {
				return false
			}
			late := e.now().Sub(e.clk.WallForOffset(time.Duration(ev.At)*time.Millisecond)) > lateBound
			e.rec.Event(late)
			e.handle(ev)
		}
		// Completions that arrived meanwhile.
	drainDone:
		for {
			select {
			case j := <-e.pool.done:
				e.complete(j)
			default:
				break drainDone
			}
		}
		if e.checkAbort() {
			return false // results are written as for a run that ended
		}
		if wall := e.now(); e.cfg.Progress != nil && wall.Sub(lastProgress) >= progressEvery {
			lastProgress = wall
			e.cfg.Progress(e.progress())
		}
		ev, ok := e.q.Peek()
		wait := time.Hour
		if ok {
			wait = e.clk.WallForOffset(time.Duration(ev.At) * time.Millisecond).Sub(e.now())
		}
		wait = min(wait, progressEvery)
		if e.pool.saturated() {
			// Wait for a worker to hand a job back (or the end of the
			// clock), not for the next event.
			wait = min(progressEvery, max(e.clk.WallForOffset(time.Duration(e.endMs)*time.Millisecond).Sub(e.now()), time.Millisecond))
		}
		if wait <= 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return true
		case j := <-e.pool.done:
			e.complete(j)
		case r := <-e.timeline.results:
			e.timelineResult(r)
		case dev := <-e.push.events:
			e.pushed(dev)
		case <-e.push.failed:
			e.push.nFailed++
		case <-timer.C:
		}
	}
}

// drain waits for requests in flight, handling their completions (without
// sending anything new), for at most d.
func (e *engine) drain(d time.Duration) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for e.pool.inFlight > 0 {
		e.pool.flush()
		select {
		case j := <-e.pool.done:
			e.complete(j)
		case <-deadline.C:
			e.abandoned = e.pool.inFlight
			e.warnings = append(e.warnings, fmt.Sprintf("%d requests still in flight at the end were abandoned", e.pool.inFlight))
			return
		}
	}
	// Stats replies held back for their modelled network time still
	// count; other parked completions and queued events are dropped.
	e.parked.takeEach(func(j *job) bool { return j.kind == jobStats }, func(j *job) {
		e.statsDone(j)
		e.jobs.put(j)
	})
}

// handle runs one due event.
func (e *engine) handle(ev sched.Event) {
	e.curAt = ev.At
	if ev.Device == noDevice {
		switch ev.Kind {
		case evSample:
			e.sample(ev.At)
			if next := ev.At + e.set.sampleEvery.Milliseconds(); next < e.endMs {
				e.q.Push(sched.Event{At: next, Device: noDevice, Kind: evSample})
			}
		case evTimeline:
			e.runStep(int(ev.Arg), ev.At)
		}
		return
	}
	i := ev.Device
	s := &e.devs[i]
	before := s.Running
	switch ev.Kind {
	case evSessionStart:
		e.sessionStart(i, s, ev.At)
	case evSessionEnd:
		e.sessionEndEvent(i, s, ev)
	case evChurn:
		e.m.Churn(s, i)
	case evFlushStats:
		e.flushStats(i)
	case evDeliver:
		e.deliver(e.parked.take(ev.Arg))
	case evPush:
		e.m.Push(s, i, ev.At)
	default:
		e.m.Timer(s, i, ev.At, ev.Kind, ev.Arg)
	}
	e.track(i, before, s.Running)
}

// track keeps the running counts when a device changes bundle.
func (e *engine) track(i uint32, before, after uint8) {
	if before == after {
		return
	}
	c := e.attrs[i].Cohort
	e.running[c][before]--
	e.running[c][after]++
	newly := e.ran[i]&(1<<after) == 0
	e.ran[i] |= 1 << after
	e.timeline.onChange(e, before, after, newly)
}
