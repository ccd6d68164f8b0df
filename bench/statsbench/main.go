// Command statsbench measures the stats ingestion of a reference server:
// "load" posts batches of 10 to 50 events, each batch from one device of a
// pool, from several connections for a fixed time, and writes down which
// events the server acknowledged; "verify" then reads the stopped server's
// SQLite file and checks that every acknowledged event is stored.
//
// Usage:
//
//	statsbench load -url http://127.0.0.1:18081 -duration 10s -conns 8 -acked acked.txt
//	statsbench verify -db bench.db -acked acked.txt
//
// Every event carries a unique timestamp (its sequence number plus a base),
// which is how verify finds it. The load only targets loopback addresses.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/otasim/otasim/internal/ackcheck"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "statsbench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: statsbench load|verify [flags]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	acked := fs.String("acked", "", "file of the acknowledged events (written by load, read by verify)")
	switch args[0] {
	case "load":
		var c LoadConfig
		fs.StringVar(&c.URL, "url", "http://127.0.0.1:18081", "base URL of the server (loopback only)")
		fs.StringVar(&c.AppID, "app", "com.example.app", "app id of the events")
		fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to post")
		fs.IntVar(&c.Conns, "conns", 8, "concurrent connections")
		fs.IntVar(&c.Devices, "devices", 10000, "device pool")
		fs.IntVar(&c.MinBatch, "min", 10, "smallest batch")
		fs.IntVar(&c.MaxBatch, "max", 50, "largest batch")
		fs.Int64Var(&c.MaxEvents, "max-events", 50_000_000, "stop after this many events even before the duration")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *acked == "" {
			return errors.New("load: -acked is required")
		}
		res, err := Load(ctx, c)
		if err != nil {
			return err
		}
		if err := ackcheck.Write(*acked, res.Acked); err != nil {
			return err
		}
		fmt.Println(res.Summary())
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
		if v.Lost > 0 {
			return fmt.Errorf("%d acknowledged events are not stored", v.Lost)
		}
		return nil
	}
	return fmt.Errorf("unknown command %q (load or verify)", args[0])
}
