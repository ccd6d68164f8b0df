package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File names in a run folder.
const (
	SummaryFile    = "summary.json"
	SeriesFile     = "series.json"
	HistogramsFile = "histograms.json"
)

// Run is everything a run produces.
type Run struct {
	Summary    Summary
	Series     Series
	Histograms Histograms
}

// Write writes the run folder (created if missing): each file is written to
// a temporary file and renamed, so a reader never sees half a file.
func Write(dir string, r *Run) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create run folder: %w", err)
	}
	r.Summary.Schema = SchemaSummary
	r.Series.Schema = SchemaSeries
	r.Histograms.Schema = SchemaHistograms
	var errs []error
	for _, f := range []struct {
		name string
		v    any
	}{
		{HistogramsFile, &r.Histograms},
		{SeriesFile, &r.Series},
		{SummaryFile, &r.Summary}, // last: its presence means the run is complete
	} {
		if err := writeJSON(filepath.Join(dir, f.name), f.v); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func writeJSON(path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(buf.Bytes())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Read reads a run folder written by Write. A missing series or histograms
// file is an error too: a run folder is read whole.
func Read(dir string) (*Run, error) {
	var r Run
	var errs []error
	for _, f := range []struct {
		name   string
		v      any
		schema *string
		want   string
	}{
		{SummaryFile, &r.Summary, &r.Summary.Schema, SchemaSummary},
		{SeriesFile, &r.Series, &r.Series.Schema, SchemaSeries},
		{HistogramsFile, &r.Histograms, &r.Histograms.Schema, SchemaHistograms},
	} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			errs = append(errs, fmt.Errorf("read run: %w", err))
			continue
		}
		if err := json.Unmarshal(b, f.v); err != nil {
			errs = append(errs, fmt.Errorf("read run: %s: %w", f.name, err))
			continue
		}
		if *f.schema != f.want {
			errs = append(errs, fmt.Errorf("read run: %s: schema %q, want %q", f.name, *f.schema, f.want))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &r, nil
}
