package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim"
	"github.com/otasim/otasim/sim/population"
)

// jobIndexEnv is the variable a Kubernetes Indexed Job gives each pod.
const jobIndexEnv = "JOB_COMPLETION_INDEX"

func runShardFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "shard", Usage: "run shard I/N of the fleet (e.g. 0/4): the devices whose index is I modulo N; the N shards of one seed are the fleet of a single run, device for device; needs --target"},
		&cli.IntFlag{Name: "shards", Usage: "run one of N shards, its index from $" + jobIndexEnv + " (a Kubernetes Indexed Job)"},
		&cli.StringFlag{Name: "collector", Usage: "URL of the run's collector (otasim collect): one start for every shard's clock, the timeline carried out once, the results merged"},
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
		cfg.Start = t
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
