package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/reports"
	"github.com/otasim/otasim/reports/history"
	"github.com/otasim/otasim/reports/html"
	"github.com/otasim/otasim/sim/results"
)

// Flags shared by the report commands.
func runsDBFlag() cli.Flag {
	return &cli.StringFlag{Name: "runs-db", EnvVars: []string{"OTASIM_RUNS_DB"}, Value: history.DefaultPath,
		Usage: "the run history (SQLite)"}
}

func echartsFlag() cli.Flag {
	return &cli.StringFlag{Name: "echarts-js", EnvVars: []string{"OTASIM_ECHARTS_JS"},
		Usage: "the ECharts build (echarts.min.js " + html.EChartsVersion + ") to inline, so reports draw offline; looked for at " + html.CacheRelPath + " in this folder or above when not given (just echarts installs it there)"}
}

// echartsOptions finds and reads the ECharts build: --echarts-js or
// OTASIM_ECHARTS_JS, else the cache `just echarts` fills, looked for in
// the working folder and each folder above it (the module root).
func echartsOptions(c *cli.Context) (html.Options, error) {
	var dirs []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	p, err := html.LocateECharts(c.String("echarts-js"), dirs...)
	if err != nil {
		return html.Options{}, err
	}
	js, err := html.ReadECharts(p)
	if err != nil {
		return html.Options{}, err
	}
	return html.Options{ECharts: js}, nil
}

// storedRun is a run read back from a run folder or the history.
type storedRun struct {
	run    *results.Run
	id     string
	folder string // "" when the history's folder is gone
}

// loadStoredRun reads RUN: a run folder (it holds summary.json), or an id, a
// unique prefix, latest or latest~N from the history.
func loadStoredRun(ctx context.Context, dbPath, ref string) (*storedRun, error) {
	if fi, err := os.Stat(ref); err == nil && fi.IsDir() {
		run, err := results.Read(ref)
		if err != nil {
			return nil, err
		}
		return &storedRun{run: run, id: run.Summary.RunID, folder: ref}, nil
	}
	db, err := history.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	id, err := db.Resolve(ctx, ref, history.Scope{})
	if err != nil {
		return nil, err
	}
	run, e, err := db.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	sr := &storedRun{run: run, id: id}
	if fi, err := os.Stat(e.Folder); err == nil && fi.IsDir() {
		sr.folder = e.Folder
	}
	return sr, nil
}

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "render a stored run's report.html (and junit.xml) again",
		ArgsUsage: "RUN (a run folder, a run id or prefix, latest, latest~N)",
		Description: "Reads the run from its folder or from the run history and writes report.html\n" +
			"and junit.xml into its folder (or report-<id>.html into --out's folder when the\n" +
			"run's folder is gone). The report is one self-contained file: with the ECharts\n" +
			"build inlined (just echarts, or --echarts-js) it draws with no network.",
		Flags: []cli.Flag{
			runsDBFlag(), echartsFlag(),
			&cli.StringFlag{Name: "out", Usage: "write the report to this file instead of the run folder"},
		},
		Action: reportAction,
	}
}

func reportAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("report takes one run: a run folder, a run id, latest or latest~N; see 'otasim runs'", exitUsage)
	}
	stdout, stderr := writers(c)
	opts, err := echartsOptions(c)
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	ctx := c.Context
	sr, err := loadStoredRun(ctx, c.String("runs-db"), c.Args().First())
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	var written []string
	switch out := c.String("out"); {
	case out != "":
		if err := writeReportFile(out, sr.run, opts); err != nil {
			return cli.Exit(err.Error(), exitError)
		}
		written = append(written, out)
	case sr.folder != "":
		if err := reports.WriteRunArtifacts(ctx, sr.folder, sr.run, reports.Options{HTML: opts}); err != nil {
			return cli.Exit(err.Error(), exitError)
		}
		written = append(written, filepath.Join(sr.folder, reports.ReportFile), filepath.Join(sr.folder, reports.JUnitFile))
	default:
		out := "report-" + sr.id + ".html"
		if err := writeReportFile(out, sr.run, opts); err != nil {
			return cli.Exit(err.Error(), exitError)
		}
		written = append(written, out)
	}
	if w := opts.OfflineWarning(); w != "" {
		fmt.Fprintln(stderr, "warning:", w)
	}
	for _, p := range written {
		fmt.Fprintln(stdout, p)
	}
	return nil
}

// writeReportFile renders the report to a file, whole or not at all.
func writeReportFile(path string, run *results.Run, opts html.Options) error {
	return reports.WriteFile(path, func(w io.Writer) error { return html.Render(w, run, opts) })
}
