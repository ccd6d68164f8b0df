// Command overload is the soak and overload benchmark of the reference
// server (docs/benchmarks.md, section "Overload"): thousands of
// connections on loopback, each a device that checks /updates and posts
// /stats batches in turn, for a bounded time; the server's RSS is sampled
// all along. It reports the statuses per endpoint, the shed requests, the
// p99 of the accepted ones, and which stats events the server
// acknowledged; "verify" then checks in the stopped server's SQLite file
// that every acknowledged event is stored exactly once.
//
// Usage:
//
//	overload load -url http://127.0.0.1:18096 -conns 6000 -duration 30s -pid $SERVER -acked acked.txt
//	overload verify -db bench.db -acked acked.txt
//
// A device honours Retry-After as the plugin does (-hostile: it does not),
// posts a stats batch again, unchanged, after a 429, a 5xx or no answer,
// and pretends to have lost a share of the replies it got (-lose), so
// that the server sees retries of batches it stored. Every event has a
// unique timestamp, which is how verify finds it. Loopback only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/otasim/otasim/internal/ackcheck"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "overload:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: overload load|verify [flags]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	acked := fs.String("acked", "", "file of the acknowledged events (written by load, read by verify)")
	switch args[0] {
	case "load":
		c := Config{}
		fs.StringVar(&c.URL, "url", "http://127.0.0.1:18096", "base URL of the server (loopback only)")
		fs.StringVar(&c.AppID, "app", "com.example.app", "app id of the devices")
		fs.IntVar(&c.Conns, "conns", 6000, "connections, one device stream each")
		fs.DurationVar(&c.Duration, "duration", 30*time.Second, "how long to send")
		fs.IntVar(&c.Devices, "devices", 100_000, "device pool")
		fs.DurationVar(&c.Think, "think", 500*time.Millisecond, "mean pause of a device between two requests (uniform in [0, 2×think])")
		fs.IntVar(&c.MaxBatch, "batch", 20, "largest stats batch (1 to this many events)")
		fs.Float64Var(&c.Lose, "lose", 0.02, "share of stats replies a device acts as if it never got (it posts the batch again)")
		fs.DurationVar(&c.Timeout, "timeout", 20*time.Second, "a request's timeout (the plugin's default)")
		fs.BoolVar(&c.Hostile, "hostile", false, "ignore Retry-After: come back at once")
		fs.IntVar(&c.PID, "pid", 0, "the server's process, whose RSS is sampled (0: none)")
		fs.DurationVar(&c.Warmup, "warmup", 5*time.Second, "requests sent later count for the steady percentiles (the first seconds are the crowd arriving)")
		cpuprofile := fs.String("cpuprofile", "", "write the load generator's own CPU profile there")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *acked == "" {
			return errors.New("load: -acked is required")
		}
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		res, err := Load(ctx, c, os.Stdout)
		if err != nil {
			return err
		}
		if err := ackcheck.Write(*acked, res.Acked); err != nil {
			return err
		}
		res.Print(os.Stdout)
		return nil
	case "verify":
		db := fs.String("db", "", "SQLite file of the stopped server")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *db == "" || *acked == "" {
			return errors.New("verify: -db and -acked are required")
		}
		ranges, err := ackcheck.Read(*acked)
		if err != nil {
			return err
		}
		v, err := ackcheck.Verify(ctx, *db, TimestampBase, ranges)
		if err != nil {
			return err
		}
		fmt.Println(v.Summary())
		if v.Lost > 0 || v.Dupes > 0 {
			return fmt.Errorf("%d acknowledged events lost, %d stored more than once", v.Lost, v.Dupes)
		}
		return nil
	}
	return fmt.Errorf("unknown command %q (load or verify)", args[0])
}
