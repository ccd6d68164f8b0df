package scenarios

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and it
// must either return a valid scenario or an *Error whose every problem
// has a file, a position and a message. The seeds (bundled scenarios and
// the broken files) run in every `go test`.
func FuzzParse(f *testing.F) {
	files, err := fs.Glob(bundledFS, "*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := bundledFS.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range brokenCases {
		f.Add([]byte(tc.yaml))
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("x: &x {y: *x}\n"))
	f.Add([]byte("fleet: {<<: {devices: 3}}\n"))
	f.Add([]byte("l1: &l1 [1,1,1,1]\nl2: &l2 [*l1,*l1,*l1,*l1]\nl3: &l3 [*l2,*l2,*l2,*l2]\n"))
	f.Add([]byte("\xff\xfe"))
	f.Add([]byte("run: !!str {duration: 1h}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil {
			if s == nil {
				t.Fatal("nil scenario without an error")
			}
			if s.Fleet.Devices < 1 || s.Run.Duration <= 0 || len(s.Fleet.Segments) == 0 {
				t.Fatalf("accepted an invalid scenario: %+v", s)
			}
			_ = s.TargetSpecs()
			_ = s.Fleet.Cohorts()
			_ = s.Hash()
			// What a run would use must itself be a valid scenario.
			out, err := s.Resolved()
			if err != nil {
				t.Fatalf("Resolved: %v", err)
			}
			if _, err := Parse("resolved.yaml", out); err != nil {
				t.Fatalf("the resolved scenario does not parse:\n%v\n%s", err, out)
			}
			return
		}
		var perr *Error
		if !errors.As(err, &perr) {
			t.Fatalf("error %T is not *Error: %v", err, err)
		}
		if len(perr.Problems) == 0 {
			t.Fatal("*Error without problems")
		}
		for _, p := range perr.Problems {
			if p.File != "fuzz.yaml" || p.Message == "" || !strings.HasPrefix(p.String(), "fuzz.yaml") {
				t.Fatalf("malformed problem %+v", p)
			}
		}
	})
}
