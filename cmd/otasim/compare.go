package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/reports"
	"github.com/otasim/otasim/reports/compare"
)

func compareCommand() *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "compare two runs: a side-by-side table with deltas and a page with their curves overlaid",
		ArgsUsage: "A B (run folders, run ids or prefixes, latest, latest~N)",
		Description: "Prints every metric of both runs with B − A, and B judged against A with the\n" +
			"baseline tolerances (docs/reports.md). Writes compare-A-B.html beside the runs\n" +
			"(the folder holding B's run folder, else the run history's folder), or --out.\n" +
			"Flags may come before or after the runs.",
		Flags: []cli.Flag{
			runsDBFlag(), echartsFlag(),
			&cli.StringFlag{Name: "out", Usage: "the comparison page (default compare-<A>-<B>.html beside the runs)"},
		},
		Action: compareAction,
	}
}

func compareAction(c *cli.Context) error {
	if c.NArg() != 2 {
		return cli.Exit("compare takes two runs: A B (run folders, ids, latest, latest~N)", exitUsage)
	}
	stdout, stderr := writers(c)
	opts, err := echartsOptions(c)
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	var runs [2]*storedRun
	var errs []string
	for i, ref := range c.Args().Slice() {
		sr, err := loadStoredRun(c.Context, c.String("runs-db"), ref)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", ref, err))
			continue
		}
		runs[i] = sr
	}
	if len(errs) > 0 {
		return cli.Exit(strings.Join(errs, "\n"), exitError)
	}
	a, b := runs[0], runs[1]
	cmp, err := compare.Compare(a.run, b.run)
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	if err := cmp.WriteTable(stdout); err != nil {
		return err
	}
	out := c.String("out")
	if out == "" {
		// Beside the runs, never in whatever folder the command ran in.
		dir := filepath.Dir(c.String("runs-db"))
		if b.folder != "" {
			dir = filepath.Dir(filepath.Clean(b.folder))
		}
		out = filepath.Join(dir, fmt.Sprintf("compare-%s-%s.html", safeName(a.id), safeName(b.id)))
	}
	doc, err := cmp.Document(a.run, b.run, opts)
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	if err := reports.WriteFile(out, doc.Render); err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	if w := opts.OfflineWarning(); w != "" {
		fmt.Fprintln(stderr, "warning:", w)
	}
	fmt.Fprintln(stdout, "comparison:", out)
	return nil
}

// safeName keeps a run id usable in a file name.
func safeName(s string) string {
	s = filepath.Base(s)
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
