package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/sim/collector"
	"github.com/otasim/otasim/sim/vclock"
)

// serveClockFlags let the reference server keep a sharded run's virtual
// time, as the in-process server keeps a run's: its guard windows and
// timestamps then agree with the devices' time.
func serveClockFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "clock-from", Usage: "follow the virtual clock of the sharded run this collector URL collects (the run's epoch until it starts)"},
		&cli.StringFlag{Name: "clock-start", Usage: "follow a virtual clock that starts at this wall instant (RFC 3339), the --start-at of the shards"},
		&cli.Float64Flag{Name: "clock-speed", Usage: "the virtual clock's speed, with --clock-start"},
	}
}

// clockPoll is how often --clock-from asks for the start.
const clockPoll = 250 * time.Millisecond

// serveClock returns the server's clock (nil: the wall clock).
func serveClock(ctx context.Context, c *cli.Context, log *slog.Logger) (func() time.Time, error) {
	from, start, speed := c.String("clock-from"), c.String("clock-start"), c.Float64("clock-speed")
	switch {
	case from == "" && start == "" && speed == 0:
		return nil, nil
	case from != "" && (start != "" || speed != 0):
		return nil, cli.Exit("--clock-from or --clock-start with --clock-speed, not both", exitUsage)
	}
	src := &vclock.Source{}
	if from != "" {
		go followCollector(ctx, from, src, log)
		return src.Now, nil
	}
	t, err := time.Parse(time.RFC3339Nano, start)
	if err != nil || speed <= 0 {
		return nil, cli.Exit("--clock-start needs an RFC 3339 instant and --clock-speed a speed above 0", exitUsage)
	}
	clk, err := vclock.New(speed, t, time.Now)
	if err != nil {
		return nil, cli.Exit(err.Error(), exitUsage)
	}
	src.Set(clk)
	return src.Now, nil
}

// followCollector asks the collector for the run's start until it has
// one, then installs the clock.
func followCollector(ctx context.Context, url string, src *vclock.Source, log *slog.Logger) {
	t := time.NewTicker(clockPoll)
	defer t.Stop()
	for {
		st, err := collector.FetchClock(ctx, url)
		if err == nil {
			clk, cerr := vclock.New(st.Speed, st.At, time.Now)
			if cerr != nil {
				log.Error("the collector's clock", "err", cerr)
				return
			}
			src.Set(clk)
			log.Info("following the run's virtual clock", "run", st.RunID, "start", st.At, "speed", st.Speed)
			return
		}
		if !errors.Is(err, collector.ErrNotStarted) {
			log.Debug("the collector's clock", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
