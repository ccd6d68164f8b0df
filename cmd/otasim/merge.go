package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/merge"
	"github.com/otasim/otasim/sim/results"
)

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "merge the run folders of a sharded run's shards into one run, judged once",
		ArgsUsage: "SHARD_FOLDER...",
		Description: "Reads the run folder of every shard (otasim run --shard I/N ... --out DIR), merges\n" +
			"them exactly (HDR histograms merged, counts summed, adoption recomputed from the\n" +
			"summed device counts at every sample, per-interval percentiles from the merged\n" +
			"interval histograms), judges the scenario's targets once on the merged run and\n" +
			"writes one run folder: summary.json (with a shards section: each shard's devices,\n" +
			"requests, lag and CPU), series.json, histograms.json, report.html, junit.xml, and\n" +
			"the run history entry. A shard whose folder is missing or holds no summary, that\n" +
			"was interrupted or fell behind makes the verdict INCONCLUSIVE, naming the shard.\n\n" +
			exitCodesHelp,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "the merged run folder (default runs/<run-id>/)"},
			&cli.IntFlag{Name: "shards", Usage: "the number of shards of the run (default: N of the shards' I/N)"},
			&cli.StringFlag{Name: "scenario", Usage: "the run's scenario (default: the one the shards name, bundled or at its path)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no summary table"},
			&cli.BoolFlag{Name: "json", Usage: "print summary.json to stdout (the table goes to stderr)"},
		}, runReportFlags()...),
		Action: runMerge,
	}
}

func runMerge(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.Exit("merge takes the shards' run folders", exitUsage)
	}
	_, stderr := writers(c)
	shards, count, source, err := readShards(c.Args().Slice(), c.Int("shards"), stderr)
	if err != nil {
		return err
	}
	ref := source // a path, or embedded:NAME.yaml
	if name, ok := strings.CutPrefix(source, "embedded:"); ok {
		ref = strings.TrimSuffix(name, ".yaml")
	}
	sc, err := scenarios.Load(firstNonEmpty(c.String("scenario"), ref))
	if err != nil {
		return cli.Exit(fmt.Sprintf("the run's scenario: %v (give --scenario)", err), exitError)
	}
	runID := newRunID()
	run, err := merge.Merge(merge.Config{Scenario: sc, Count: count, Shards: shards, RunID: runID})
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	out := c.String("out")
	if out == "" {
		out = filepath.Join("runs", runID)
	}
	if _, err := os.Stat(filepath.Join(out, results.SummaryFile)); err == nil {
		return cli.Exit(fmt.Sprintf("run folder %s already holds a run; choose another --out", out), exitUsage)
	}
	rr, err := startRunReports(c.Context, c, sc, runID)
	if err != nil {
		return err
	}
	defer rr.close()
	print := printSummary
	if c.Bool("quiet") {
		print = func(io.Writer, *results.Summary, string) {}
	}
	return finishRun(c.Context, c, out, run, rr, nil, print)
}

// readShards reads the shards' run folders. A folder without a complete
// run is reported and left out: its shard is then missing from the merge.
func readShards(dirs []string, count int, stderr io.Writer) ([]merge.Shard, int, string, error) {
	var shards []merge.Shard
	var source string
	seen := map[int]string{}
	for _, dir := range dirs {
		run, err := results.Read(dir)
		if err != nil {
			fmt.Fprintf(stderr, "merge: %s: no complete run (%v); its shard counts as missing\n", dir, err)
			continue
		}
		i, n, ok := splitShard(run.Summary.Shard)
		if !ok {
			return nil, 0, "", cli.Exit(fmt.Sprintf("%s: not a shard's run (summary.json has no shard I/N)", dir), exitUsage)
		}
		if count == 0 {
			count = n
		}
		if n != count {
			return nil, 0, "", cli.Exit(fmt.Sprintf("%s: shard %s of %d, the others of %d", dir, run.Summary.Shard, n, count), exitUsage)
		}
		if prev, dup := seen[i]; dup {
			return nil, 0, "", cli.Exit(fmt.Sprintf("shard %d twice: %s and %s", i, prev, dir), exitUsage)
		}
		seen[i] = dir
		source = firstNonEmpty(source, run.Summary.ScenarioSource, run.Summary.Scenario)
		shards = append(shards, merge.Shard{Index: i, Run: run})
	}
	if len(shards) == 0 {
		return nil, 0, "", cli.Exit("no shard folder holds a complete run", exitError)
	}
	return shards, count, source, nil
}

// splitShard reads summary.json's "I/N".
func splitShard(s string) (i, n int, ok bool) {
	a, b, found := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	return i, n, found && err1 == nil && err2 == nil && i >= 0 && i < n
}
