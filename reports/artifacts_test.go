package reports

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otasim/otasim/reports/html"
	"github.com/otasim/otasim/reports/internal/fixture"
)

func TestWriteRunArtifacts(t *testing.T) {
	dir := t.TempDir()
	run := fixture.Run(fixture.Params{Seed: 1})
	if err := WriteRunArtifacts(context.Background(), dir, run, Options{HTML: html.Options{ECharts: []byte("/**/")}}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil || !strings.Contains(string(page), run.Summary.RunID) {
		t.Fatalf("report.html: %v", err)
	}
	x, err := os.ReadFile(filepath.Join(dir, JUnitFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(x, new(struct{})); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d files, want 2 (no temporary files left)", len(entries))
	}
}

func TestWriteRunArtifactsUnwritable(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteRunArtifacts(context.Background(), filepath.Join(f, "sub"), fixture.Run(fixture.Params{}), Options{})
	if err == nil || !strings.Contains(err.Error(), ReportFile) || !strings.Contains(err.Error(), JUnitFile) {
		t.Fatalf("got %v, want an error naming both files", err)
	}
	if err := WriteRunArtifacts(context.Background(), t.TempDir(), nil, Options{}); err == nil {
		t.Fatal("nil run: want an error")
	}
	// A run whose report cannot render leaves nothing behind.
	dir := t.TempDir()
	bad := fixture.Run(fixture.Params{})
	bad.Summary.Schema = "otasim.summary/v9"
	if err := WriteRunArtifacts(context.Background(), dir, bad, Options{}); err == nil {
		t.Fatal("newer schema: want an error")
	}
	if _, err := os.Stat(filepath.Join(dir, ReportFile)); !os.IsNotExist(err) {
		t.Error("a report was left behind")
	}
}
