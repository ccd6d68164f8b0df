package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/reports/format"
	"github.com/otasim/otasim/reports/history"
)

func runsCommand() *cli.Command {
	return &cli.Command{
		Name:  "runs",
		Usage: "list the recorded runs, newest first",
		Description: "Every `otasim run` is recorded in the run history (--runs-db, default\n" +
			"runs/runs.db) with its whole verdict: PASS, FAIL or INCONCLUSIVE, a baseline\n" +
			"comparison included. A run is named by its id, a unique prefix of it, latest\n" +
			"or latest~N in `otasim report`, `otasim compare` and `otasim run --baseline`\n" +
			"(where latest is the newest run of the scenario whose verdict was PASS).",
		Flags: []cli.Flag{
			runsDBFlag(),
			&cli.StringFlag{Name: "scenario", Usage: "only runs of this scenario"},
			&cli.IntFlag{Name: "limit", Value: 50, Usage: "at most this many runs (0: all)"},
			&cli.BoolFlag{Name: "json", Usage: "print the runs as JSON"},
		},
		Action: runsAction,
	}
}

func runsAction(c *cli.Context) error {
	if c.NArg() != 0 {
		return cli.Exit("runs takes no argument", exitUsage)
	}
	if c.Int("limit") < 0 {
		return cli.Exit("--limit must not be negative", exitUsage)
	}
	stdout, _ := writers(c)
	db, err := history.Open(c.Context, c.String("runs-db"))
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	defer db.Close()
	list, err := db.List(c.Context, history.Filter{Scenario: c.String("scenario"), Limit: c.Int("limit")})
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	if c.Bool("json") {
		if list == nil {
			list = []history.Entry{}
		}
		b, _ := json.MarshalIndent(list, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTARTED\tSCENARIO\tDEVICES\tVERDICT\tVIRTUAL\tWALL\tVERSION")
	for _, e := range list {
		res := string(e.Verdict)
		if e.Interrupted {
			res += " (interrupted)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", e.ID, e.StartedAt, e.Scenario, e.Devices, res,
			format.Seconds(e.VirtualSeconds), format.Seconds(e.WallSeconds), e.Version)
	}
	return tw.Flush()
}
