package reports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/otasim/otasim/reports/baseline"
	"github.com/otasim/otasim/reports/html"
	"github.com/otasim/otasim/reports/internal/atomicfile"
	"github.com/otasim/otasim/reports/junit"
	"github.com/otasim/otasim/sim/results"
)

// File names the reports add to a run folder.
const (
	ReportFile = "report.html"
	JUnitFile  = "junit.xml"
)

// Options of the run's artifacts.
type Options struct {
	// HTML renders report.html (the ECharts build to inline).
	HTML html.Options
	// Baseline, when set, adds the baseline verdict to junit.xml as a
	// second suite.
	Baseline *baseline.Verdict
}

// WriteRunArtifacts writes report.html and junit.xml into the run folder
// dir. Each file is written whole or not at all (temporary file, then
// rename); the errors of both are reported together.
func WriteRunArtifacts(ctx context.Context, dir string, run *results.Run, opts Options) error {
	if run == nil {
		return errors.New("reports: no run")
	}
	var errs []error
	for _, f := range []struct {
		name  string
		write func(w io.Writer) error
	}{
		{ReportFile, func(w io.Writer) error {
			ho := opts.HTML
			ho.Baseline = opts.Baseline
			return html.Render(w, run, ho)
		}},
		{JUnitFile, func(w io.Writer) error { return junit.WriteWithBaseline(w, &run.Summary, opts.Baseline) }},
	} {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.write); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

// WriteFile writes a file whole or not at all: fill writes to a buffer,
// which lands at path in one rename.
func WriteFile(path string, fill func(w io.Writer) error) error {
	return atomicfile.Write(path, fill)
}
