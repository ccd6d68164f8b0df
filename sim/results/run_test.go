package results

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestWriteReadRoundTrip(t *testing.T) {
	h := hdrhistogram.New(1, 3_600_000_000, 3)
	for v := int64(1); v < 100_000; v += 7 {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	enc, err := Encode(h, "us")
	if err != nil {
		t.Fatal(err)
	}
	v := 12.5
	in := &Run{
		Summary: Summary{RunID: "r1", Scenario: "quickstart", Seed: 7, Devices: 10,
			Targets: []TargetResult{{Name: "api", Threshold: 434, Value: &v, Unit: "ms", Pass: true, Status: StatusPass}},
			API:     map[string]Endpoint{"updates": {Count: 3, MeanMs: &v, Outcomes: OutcomeCounts{3}}},
			Verdict: VerdictPass, VerdictReasons: []string{}, TargetLost: []Outage{},
			Warnings: []string{"w"}},
		Series:     Series{T: []float64{0, 600}, Active: []int{5, 6}},
		Histograms: Histograms{Histograms: map[string]Histogram{"api.updates.latency": enc}},
	}
	dir := filepath.Join(t.TempDir(), "run")
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Summary, out.Summary) || !reflect.DeepEqual(in.Series, out.Series) {
		t.Fatalf("round trip differs:\n%+v\n%+v", in.Summary, out.Summary)
	}
	back, err := out.Histograms.Histograms["api.updates.latency"].Decode()
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equals(h) {
		t.Fatal("histogram not lossless")
	}
	// Merged halves equal the whole.
	a, b := hdrhistogram.New(1, 3_600_000_000, 3), hdrhistogram.New(1, 3_600_000_000, 3)
	for v := int64(1); v < 100_000; v += 7 {
		x := a
		if v%2 == 0 {
			x = b
		}
		_ = x.RecordValue(v)
	}
	ea, _ := Encode(a, "us")
	da, _ := ea.Decode()
	da.Merge(b)
	if da.TotalCount() != h.TotalCount() || da.ValueAtQuantile(99) != h.ValueAtQuantile(99) {
		t.Fatal("merge of decoded halves differs")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), SummaryFile) {
		t.Fatalf("missing files: got %v", err)
	}
	for name, body := range map[string]string{
		SummaryFile:    `{"schema":"other"}`,
		SeriesFile:     `not json`,
		HistogramsFile: `{"schema":"otasim.histograms/v1"}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Read(dir)
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{`schema "other"`, "series.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestWriteUnwritable(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(f, "sub"), &Run{}); err == nil {
		t.Fatal("want error for a folder under a file")
	}
}
