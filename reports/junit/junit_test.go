package junit

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/otasim/otasim/reports/baseline"
	"github.com/otasim/otasim/reports/internal/fixture"
	"github.com/otasim/otasim/sim/results"
)

// schemaDoc mirrors the elements and attributes the JUnit schema requires
// (testsuite: name, tests, failures, errors, time; testcase: name,
// classname; failure: message, type), read back independently of the
// writer's types.
type schemaDoc struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Name     *string `xml:"name,attr"`
		Tests    *int    `xml:"tests,attr"`
		Failures *int    `xml:"failures,attr"`
		Errors   *int    `xml:"errors,attr"`
		Time     *string `xml:"time,attr"`
		Cases    []struct {
			Name      *string `xml:"name,attr"`
			Classname *string `xml:"classname,attr"`
			Failure   *struct {
				Message *string `xml:"message,attr"`
				Type    *string `xml:"type,attr"`
			} `xml:"failure"`
			Error *struct {
				Message *string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestWrite(t *testing.T) {
	v := 882.3
	cases := []struct {
		name         string
		mutate       func(s *results.Summary)
		wantTests    int
		wantFailures int
		wantErrors   int
		wantMessages []string
		wantSkipped  int
	}{
		{"all pass", func(s *results.Summary) {}, 4, 0, 0, nil, 0},
		{"api fails", func(s *results.Summary) {
			s.Targets[3].Value, s.Targets[3].Pass, s.Targets[3].Status = &v, false, results.StatusFail
		}, 4, 1, 0, []string{"value 882.3 ms > threshold 434.0 ms"}, 0},
		{"no value and ratio", func(s *results.Summary) {
			s.Targets[0].Value, s.Targets[0].Pass, s.Targets[0].Note, s.Targets[0].Status = nil, false, "the share was not reached", results.StatusFail
			low := 0.5
			s.Targets[2].Value, s.Targets[2].Pass, s.Targets[2].Status = &low, false, results.StatusFail
		}, 4, 2, 0, []string{"no value, threshold <= 24h: the share was not reached", "value 50.00% < threshold 82.00%"}, 0},
		// INCONCLUSIVE is an error, never a failure.
		{"inconclusive target", func(s *results.Summary) {
			s.Targets[0].Value, s.Targets[0].Status, s.Targets[0].Note = nil, results.StatusInconclusive, "the run ended before the window closed"
		}, 4, 0, 1, nil, 0},
		{"not applicable", func(s *results.Summary) { s.Targets[1].Status = results.StatusNA }, 4, 0, 0, nil, 1},
		{"generator fell behind", func(s *results.Summary) {
			s.Harness.FellBehind, s.Harness.Reasons = true, []string{"schedule lag p99 412 ms > 250 ms"}
		}, 5, 0, 1, nil, 0},
		{"target lost", func(s *results.Summary) {
			s.TargetLost = []results.Outage{{LostAtS: 6, DetectedAtS: 36, Failures: 10}}
		}, 5, 1, 0, []string{"TARGET LOST at 6s: every request failed"}, 0},
		{"interrupted", func(s *results.Summary) { s.Interrupted = true }, 5, 0, 1, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := fixture.Run(fixture.Params{Seed: 1}).Summary
			for i := range s.Targets {
				s.Targets[i].Pass, s.Targets[i].Status = true, results.StatusPass
			}
			s.Scenario = `ci-smoke <&">`
			tc.mutate(&s)
			var buf bytes.Buffer
			if err := Write(&buf, &s); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(buf.String(), "<?xml") {
				t.Error("no XML header")
			}
			var doc schemaDoc
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("not XML: %v\n%s", err, buf.String())
			}
			if len(doc.Suites) != 1 {
				t.Fatalf("%d suites, want 1", len(doc.Suites))
			}
			su := doc.Suites[0]
			if su.Name == nil || *su.Name != "otasim."+s.Scenario || su.Tests == nil || su.Failures == nil || su.Errors == nil || su.Time == nil {
				t.Fatalf("suite lacks a required attribute: %s", buf.String())
			}
			if *su.Tests != tc.wantTests || len(su.Cases) != tc.wantTests || *su.Failures != tc.wantFailures || *su.Errors != tc.wantErrors {
				t.Errorf("tests %d (cases %d), failures %d, errors %d; want %d, %d, %d",
					*su.Tests, len(su.Cases), *su.Failures, *su.Errors, tc.wantTests, tc.wantFailures, tc.wantErrors)
			}
			var msgs []string
			skipped := 0
			for _, c := range su.Cases {
				if c.Skipped != nil {
					skipped++
				}
				if c.Name == nil || c.Classname == nil {
					t.Error("testcase lacks name or classname")
				}
				if c.Failure != nil {
					if c.Failure.Message == nil || c.Failure.Type == nil {
						t.Error("failure lacks message or type")
					} else {
						msgs = append(msgs, *c.Failure.Message)
					}
				}
			}
			if skipped != tc.wantSkipped {
				t.Errorf("%d skipped, want %d", skipped, tc.wantSkipped)
			}
			for _, want := range tc.wantMessages {
				found := false
				for _, m := range msgs {
					found = found || m == want
				}
				if !found {
					t.Errorf("no failure %q in %q", want, msgs)
				}
			}
		})
	}
}

func TestBuildNil(t *testing.T) {
	if _, err := Build(nil); err == nil {
		t.Fatal("want an error")
	}
}

func TestWriteWithBaseline(t *testing.T) {
	base := fixture.Run(fixture.Params{Seed: 1}).Summary
	cur := fixture.Run(fixture.Params{Seed: 1}).Summary
	ep := cur.API["updates"]
	slow := *ep.MeanMs * 3
	ep.MeanMs = &slow
	cur.API["updates"] = ep
	v := baseline.Check(&base, &cur, nil)
	var buf bytes.Buffer
	if err := WriteWithBaseline(&buf, &cur, &v); err != nil {
		t.Fatal(err)
	}
	var doc Suites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 2 || doc.Suites[1].Name != "otasim.fixture.baseline" {
		t.Fatalf("suites: %+v", doc.Suites)
	}
	bs := doc.Suites[1]
	if bs.Failures != 1 || doc.Failures != doc.Suites[0].Failures+1 || doc.Tests != doc.Suites[0].Tests+bs.Tests {
		t.Errorf("counts: doc %d/%d, baseline suite %d/%d", doc.Tests, doc.Failures, bs.Tests, bs.Failures)
	}
	found := false
	for _, c := range bs.Cases {
		if c.Name == "api.updates.mean_ms" && c.Failure != nil && strings.Contains(c.Failure.Message, "in baseline "+base.RunID) {
			found = true
		}
	}
	if !found {
		t.Errorf("no regression case for api.updates.mean_ms:\n%s", buf.String())
	}
}
