package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim"
	"github.com/otasim/otasim/sim/collector"
	"github.com/otasim/otasim/sim/population"
	"github.com/otasim/otasim/sim/results"
)

// jobIndexEnv is the variable a Kubernetes Indexed Job gives each pod.
const jobIndexEnv = "JOB_COMPLETION_INDEX"

func runShardFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "shard", Usage: "run shard I/N of the fleet (e.g. 0/4): the devices whose index is I modulo N; the N shards of one seed are the fleet of a single run, device for device; needs --target"},
		&cli.IntFlag{Name: "shards", Usage: "run one of N shards, its index from $" + jobIndexEnv + " (a Kubernetes Indexed Job)"},
		&cli.StringFlag{Name: "collector", Usage: "URL of the run's collector (otasim collect): one start for every shard's clock, the timeline carried out once, the results merged; the shard exits 0 once the collector has its results (the collector gives the verdict), 1 when they could not be sent"},
		&cli.StringFlag{Name: "start-at", Usage: "wall instant (RFC 3339) at which the virtual clock starts, the same for every shard of a run without a collector"},
	}
}

// shardPart reads --shard, or --shards and the job's index.
func shardPart(c *cli.Context) (population.Part, error) {
	switch {
	case c.IsSet("shard") && c.IsSet("shards"):
		return population.Part{}, cli.Exit("give --shard I/N or --shards N, not both", exitUsage)
	case c.IsSet("shard"):
		p, err := population.ParsePart(c.String("shard"))
		if err != nil {
			return p, cli.Exit("--shard: "+err.Error(), exitUsage)
		}
		return p, nil
	case c.IsSet("shards"):
		env := os.Getenv(jobIndexEnv)
		i, err := strconv.Atoi(env)
		if err != nil {
			return population.Part{}, cli.Exit(fmt.Sprintf("--shards %d: $%s is %q, want the shard's index (0 to %d)",
				c.Int("shards"), jobIndexEnv, env, c.Int("shards")-1), exitUsage)
		}
		p := population.Part{Index: i, Count: c.Int("shards")}
		if err := p.Validate(); err != nil {
			return p, cli.Exit("--shards: "+err.Error(), exitUsage)
		}
		return p, nil
	}
	if c.IsSet("collector") || c.IsSet("start-at") {
		return population.Part{}, cli.Exit("--collector and --start-at are for a sharded run (--shard I/N or --shards N)", exitUsage)
	}
	return population.Part{}, nil
}

// configureShard makes cfg a shard of the fleet when the flags ask for
// one: an external target (every shard talks to the same server), the
// common start instant, and the timeline carried out once (by the
// collector, or by shard 0 when there is none).
func configureShard(c *cli.Context, sc *scenarios.Scenario, cfg *sim.Config, external bool) error {
	part, err := shardPart(c)
	if err != nil || !part.Sharded() {
		return err
	}
	if !external {
		return cli.Exit("a sharded run needs an external --target: run the reference server as 'otasim serve' and give every shard its URL", exitUsage)
	}
	if sc.Load != nil {
		return cli.Exit("a load-profile scenario does not run sharded", exitUsage)
	}
	for _, b := range sc.Bundles {
		if b.Encrypted {
			return cli.Exit(fmt.Sprintf("bundle %s is encrypted: the shards would each make their own key pair, so a sharded run does not support encrypted bundles", b.Version), exitUsage)
		}
	}
	cfg.Shard = part
	if s := c.String("start-at"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return cli.Exit(fmt.Sprintf("--start-at %q: want an RFC 3339 time, e.g. %s", s, time.Now().UTC().Add(time.Minute).Format(time.RFC3339)), exitUsage)
		}
		cfg.StartAt = func(context.Context) (time.Time, error) { return t, nil }
	}
	if part.Index != 0 && !c.IsSet("collector") {
		cfg.Steps = followShard0{}
	}
	return nil
}

// followShard0 is the timeline of a shard other than 0 in a run without a
// collector: shard 0 carries the steps out, the others only follow them.
type followShard0 struct{}

func (followShard0) Step(context.Context, int, *scenarios.Step) error { return nil }

// shardLink is a shard's tie to its collector (nil without one): it
// registers and waits for the start, sends the live progress, learns the
// timeline's outcomes, and sends the results at the end.
type shardLink struct {
	cl     *collector.Client
	url    string
	stderr io.Writer
}

// linkCollector ties cfg to the collector of --collector.
func linkCollector(c *cli.Context, sc *scenarios.Scenario, cfg *sim.Config) (*shardLink, error) {
	u := c.String("collector")
	if u == "" || !cfg.Shard.Sharded() {
		return nil, nil
	}
	cl, err := collector.NewClient(u, cfg.Shard.Index)
	if err != nil {
		return nil, cli.Exit("--collector: "+err.Error(), exitUsage)
	}
	if c.IsSet("start-at") {
		return nil, cli.Exit("--start-at: the collector gives the start; give one or the other", exitUsage)
	}
	_, stderr := writers(c)
	l := &shardLink{cl: cl, url: u, stderr: stderr}
	reg := runRegistration(sc, cfg.Seed, cfg.Devices, cfg.Speed, cfg.Duration, cfg.Shard.Count)
	reg.Index = cfg.Shard.Index
	cfg.StartAt = func(ctx context.Context) (time.Time, error) {
		fmt.Fprintf(stderr, "shard %s: registered with %s, waiting for the start\n", cfg.Shard, u)
		st, err := cl.Register(ctx, reg)
		if err != nil {
			return time.Time{}, err
		}
		fmt.Fprintf(stderr, "shard %s: run %s starts at %s\n", cfg.Shard, st.RunID, st.At.Format(time.RFC3339Nano))
		return st.At, nil
	}
	cfg.Steps = cl
	cfg.ProgressTotals = true
	next := cfg.Progress
	cfg.Progress = func(p results.Progress) {
		cl.Progress(p)
		if next != nil {
			next(p)
		}
	}
	return l, nil
}

// runRegistration is what identifies a run's shards: the scenario and
// the values resolved from it and the flags, the same in every shard and
// in the collector.
func runRegistration(sc *scenarios.Scenario, seed uint64, devices int, speed float64, duration time.Duration, shards int) collector.Registration {
	if seed == 0 {
		seed = sc.Run.Seed
	}
	return collector.Registration{Count: shards, Scenario: sc.Name, ScenarioHash: sc.Hash(), Seed: seed,
		Devices: devicesOf(sc, devices), Speed: speedOf(sc, speed), DurationS: durationOf(sc, duration).Seconds()}
}

func (l *shardLink) start(ctx context.Context) {
	if l != nil {
		l.cl.StartProgress(ctx)
	}
}

// sendTimeout bounds the sending of the results (a collector being
// restarted is tried again until then).
const sendTimeout = 3 * time.Minute

// exit sends the shard's results once its own run folder is written and
// gives the shard's exit code: with a collector, the collector judges the
// fleet, so a shard whose results it has exits 0 (its own verdict is in
// its folder), one whose results could not be sent exits 1 (otasim merge
// can still use its folder). Without a collector, verdictErr is the code.
func (l *shardLink) exit(ctx context.Context, run *results.Run, verdictErr error) error {
	if l == nil {
		return verdictErr
	}
	if !l.finish(ctx, run, nil) {
		return cli.Exit("the collector did not take the shard's results", exitError)
	}
	var coded cli.ExitCoder
	if errors.As(verdictErr, &coded) && (coded.ExitCode() == exitTargetFail || coded.ExitCode() == exitInconclusive) {
		fmt.Fprintln(l.stderr, "the collector judges the fleet: this shard's own verdict is in its run folder")
		return nil
	}
	return verdictErr
}

// finish sends the run's results (or its failure) to the collector and
// reports whether it took them; the shard's own run folder is written
// either way, for otasim merge.
func (l *shardLink) finish(ctx context.Context, run *results.Run, runErr error) bool {
	if l == nil {
		return true
	}
	l.cl.StopProgress()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	var err error
	if runErr != nil {
		err = l.cl.Failed(sctx, runErr.Error())
	} else {
		err = l.cl.Results(sctx, run)
	}
	if err != nil {
		fmt.Fprintf(l.stderr, "otasim: sending the results to the collector %s: %v (the shard's run folder has them, for otasim merge)\n", l.url, err)
		return false
	}
	if runErr != nil {
		fmt.Fprintf(l.stderr, "the failure was reported to the collector %s\n", l.url)
		return true
	}
	fmt.Fprintf(l.stderr, "results sent to the collector %s\n", l.url)
	return true
}

// shardLabel is the shard label of a run's exported series: "all" for a
// whole fleet, the index for a shard (so a sum over shard never counts a
// shard's request twice beside its collector's "all").
func shardLabel(c *cli.Context) string {
	if p, err := shardPart(c); err == nil && p.Sharded() {
		return strconv.Itoa(p.Index)
	}
	return "all"
}

// describeFleet is the run's fleet for its first line: its devices, or
// the shard's part of them.
func describeFleet(sc *scenarios.Scenario, cfg *sim.Config) string {
	n := devicesOf(sc, cfg.Devices)
	if !cfg.Shard.Sharded() {
		return fmt.Sprintf("%d devices", n)
	}
	return fmt.Sprintf("shard %s of %d devices", cfg.Shard, n)
}

// runShapeFlags are the flags that make a run what it is beside its
// scenario, for the commands that must give every shard the same ones
// (collect, k8s render).
func runShapeFlags(usage string) []cli.Flag {
	return []cli.Flag{
		&cli.Uint64Flag{Name: "seed", Usage: usage},
		&cli.IntFlag{Name: "devices", Usage: usage},
		&cli.Float64Flag{Name: "speed", Usage: usage},
		&cli.DurationFlag{Name: "duration", Usage: usage},
	}
}
