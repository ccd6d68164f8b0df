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
	return WriteFile(path, buf.Bytes())
}

// WriteFile writes b to path whole or not at all: to a temporary file in
// the same folder, synced, then renamed over path. Every file of a run
// folder gets mode 0644 this way, the reports included.
func WriteFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644) // CreateTemp makes 0600
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
		if f.name == SummaryFile {
			if err := UnmarshalSummary(b, &r.Summary); err != nil {
				errs = append(errs, fmt.Errorf("read run: %s: %w", f.name, err))
			}
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

// KnownSummarySchema reports whether this otasim reads summaries of the
// schema (this one, or version 1).
func KnownSummarySchema(schema string) bool {
	return schema == SchemaSummary || schema == schemaSummaryV1
}

// UnmarshalSummary decodes summary.json of this schema or of version 1,
// which it upgrades: the verdict from pass and interrupted, each target's
// status from its pass. Any other schema is an error.
func UnmarshalSummary(data []byte, s *Summary) error {
	if err := json.Unmarshal(data, s); err != nil {
		return err
	}
	switch s.Schema {
	case SchemaSummary:
	case schemaSummaryV1:
		s.Schema = SchemaSummary
		for i := range s.Targets {
			if s.Targets[i].Status == "" {
				s.Targets[i].Status = StatusFail
				if s.Targets[i].Pass {
					s.Targets[i].Status = StatusPass
				}
			}
		}
		switch {
		case s.Interrupted:
			s.Verdict, s.VerdictReasons = VerdictInconclusive, []string{"the run was interrupted"}
		case s.Pass:
			s.Verdict = VerdictPass
		default:
			s.Verdict, s.VerdictReasons = VerdictFail, []string{"a target failed"}
		}
	default:
		return fmt.Errorf("schema %q, want %q (or %q)", s.Schema, SchemaSummary, schemaSummaryV1)
	}
	return nil
}
