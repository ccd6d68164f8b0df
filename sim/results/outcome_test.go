package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The outcome names are a contract (summary.json keys, metric labels):
// they never change.
func TestOutcomeNames(t *testing.T) {
	want := []string{"success", "http_error", "protocol_error", "timeout", "network_error"}
	for o := Outcome(0); o < NumOutcomes; o++ {
		if o.String() != want[o] {
			t.Errorf("outcome %d is %q, want %q", o, o, want[o])
		}
		back, ok := ParseOutcome(want[o])
		if !ok || back != o || o.Failed() != (o != OutcomeSuccess) {
			t.Errorf("ParseOutcome(%q) = %v, %v", want[o], back, ok)
		}
	}
	c := OutcomeCounts{7, 2, 0, 1, 0}
	b, err := json.Marshal(c)
	if err != nil || string(b) != `{"success":7,"http_error":2,"protocol_error":0,"timeout":1,"network_error":0}` {
		t.Fatalf("%s %v", b, err)
	}
	var back OutcomeCounts
	if err := json.Unmarshal(b, &back); err != nil || back != c || back.Failed() != 3 || back.Total() != 10 {
		t.Fatalf("%v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"teapot":1}`), &back); err == nil {
		t.Error("an unknown outcome was accepted")
	}
	sum := c
	sum.Add(OutcomeCounts{1, 1, 1, 1, 1})
	if sum != (OutcomeCounts{8, 3, 1, 2, 1}) || ErrorRate(OutcomeCounts{}) != 0 {
		t.Errorf("add %v", sum)
	}
}

// A summary of no value has null percentiles, never zeros.
func TestQuantilesNull(t *testing.T) {
	b, _ := json.Marshal(Quantiles{})
	if !strings.Contains(string(b), `"p50":null`) {
		t.Errorf("%s", b)
	}
	b, _ = json.Marshal(Quantiles{Count: 1, P50: 2})
	if !strings.Contains(string(b), `"p50":2`) {
		t.Errorf("%s", b)
	}
	var e Endpoint
	e.SetLatency(Quantiles{})
	b, _ = json.Marshal(e)
	if !strings.Contains(string(b), `"mean_ms":null`) || !strings.Contains(string(b), `"p99_ms":null`) {
		t.Errorf("%s", b)
	}
}

// A version 1 summary still reads, its verdict taken from pass and
// interrupted; an unknown schema does not.
func TestUnmarshalSummaryV1(t *testing.T) {
	for _, tt := range []struct {
		json string
		want Verdict
	}{
		{`{"schema":"otasim.summary/v1","pass":true,"targets":[{"name":"api","pass":true}],"api":{"updates":{"count":3,"mean_ms":1.5}}}`, VerdictPass},
		{`{"schema":"otasim.summary/v1","pass":false}`, VerdictFail},
		{`{"schema":"otasim.summary/v1","pass":true,"interrupted":true}`, VerdictInconclusive},
	} {
		var s Summary
		if err := UnmarshalSummary([]byte(tt.json), &s); err != nil || s.Verdict != tt.want || s.Schema != SchemaSummary {
			t.Errorf("%s: verdict %q, err %v", tt.json, s.Verdict, err)
		}
		if len(s.Targets) > 0 && s.Targets[0].Status != StatusPass {
			t.Errorf("target status %q", s.Targets[0].Status)
		}
		if e, ok := s.API["updates"]; ok && (e.MeanMs == nil || *e.MeanMs != 1.5) {
			t.Errorf("mean %v", e.MeanMs)
		}
	}
	var s Summary
	if err := UnmarshalSummary([]byte(`{"schema":"otasim.summary/v9"}`), &s); err == nil {
		t.Error("a newer schema was read")
	}
}

// Every file of a run folder gets the reports' mode.
func TestWriteMode(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, &Run{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{SummaryFile, SeriesFile, HistogramsFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v %v", f, fi.Mode(), err)
		}
	}
}
