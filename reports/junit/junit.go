// Package junit writes a run's targets as a JUnit XML file, the format CI
// systems read: one test suite per run ("otasim.<scenario>"), one test case
// per target — a failure element on each target that failed (value and
// threshold), an error element on each the run could not judge, skipped
// for one that does not apply — and test cases for what is not a target:
// the target lost (a failure), the harness that fell behind and the run
// that was interrupted (errors, never failures: INCONCLUSIVE is not FAIL).
package junit

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/otasim/otasim/reports/baseline"
	"github.com/otasim/otasim/reports/format"
	"github.com/otasim/otasim/sim/results"
)

// Suites is the document root.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is one run.
type Suite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr,omitempty"`
	Properties []Property `xml:"properties>property"`
	Cases      []Case     `xml:"testcase"`
	SystemOut  string     `xml:"system-out,omitempty"`
}

// Property is a name and value of the run.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Case is one target.
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *Problem `xml:"failure"`
	Error     *Problem `xml:"error"`
	Skipped   *Problem `xml:"skipped"`
}

// Problem is a failure or an error: a one-line message, a type, details.
type Problem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// FailureMessage says why a target failed: "value 882.3 ms > threshold
// 434.0 ms", or that the metric had no value.
func FailureMessage(t results.TargetResult) string {
	if t.Value == nil {
		msg := "no value, threshold " + format.Threshold(t)
		if t.Note != "" {
			msg += ": " + t.Note
		}
		return msg
	}
	op := ">"
	if t.Comparison == ">=" {
		op = "<"
	}
	return fmt.Sprintf("value %s %s threshold %s", format.Value(t.Value, t.Unit), op, format.Number(t.Threshold, t.Unit))
}

// Build turns a summary into the JUnit document. An interrupted run adds a
// test case "run" with an error, so CI sees the results are partial.
func Build(s *results.Summary) (*Suites, error) {
	if s == nil {
		return nil, errors.New("junit: no summary")
	}
	class := "otasim." + s.Scenario
	secs := strconv.FormatFloat(s.WallSeconds, 'f', 3, 64)
	suite := Suite{Name: class, Time: secs, Timestamp: s.StartedAt, Properties: []Property{
		{"run_id", s.RunID}, {"scenario", s.Scenario}, {"seed", strconv.FormatUint(s.Seed, 10)},
		{"devices", strconv.Itoa(s.Devices)}, {"speed", strconv.FormatFloat(s.Speed, 'g', -1, 64)},
		{"virtual_seconds", strconv.FormatFloat(s.VirtualSeconds, 'f', 0, 64)}, {"server", s.Server.UpdatesURL},
	}}
	suite.Properties = append(suite.Properties, Property{"verdict", string(s.Verdict)})
	if s.AbortedBy != "" {
		suite.Properties = append(suite.Properties, Property{"aborted_by", s.AbortedBy})
	}
	for _, t := range s.Targets {
		name := t.Name
		if t.Segment != "" && name == t.Metric {
			name += "@" + t.Segment
		}
		c := Case{Name: name, Classname: class, Time: "0"}
		detail := fmt.Sprintf("metric %s, value %s, threshold %s", t.Metric, format.Value(t.Value, t.Unit), format.Threshold(t))
		if t.Note != "" {
			detail += "; " + t.Note
		}
		switch t.Status {
		case results.StatusFail:
			c.Failure = &Problem{Message: FailureMessage(t), Type: "threshold", Text: detail}
			suite.Failures++
		case results.StatusInconclusive:
			c.Error = &Problem{Message: "inconclusive: " + orNote(t), Type: "inconclusive", Text: detail}
			suite.Errors++
		case results.StatusNA:
			c.Skipped = &Problem{Message: "not applicable: " + orNote(t), Type: "n/a"}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
	}
	if len(s.TargetLost) > 0 {
		var lines []string
		for _, o := range s.TargetLost {
			lines = append(lines, fmt.Sprintf("lost at %s of the run, %d failures", format.Seconds(o.LostAtS), o.Failures))
		}
		suite.Cases = append(suite.Cases, Case{Name: "target_lost", Classname: class, Time: "0",
			Failure: &Problem{Message: "TARGET LOST at " + format.Seconds(s.TargetLost[0].LostAtS) + ": every request failed",
				Type: "target_lost", Text: strings.Join(lines, "\n")}})
		suite.Failures++
	}
	if h := s.Harness; h.FellBehind {
		msg := "the load generator fell behind"
		if len(h.Reasons) > 0 {
			msg += ": " + strings.Join(h.Reasons, "; ")
		}
		suite.Cases = append(suite.Cases, Case{Name: "harness", Classname: class, Time: "0",
			Error: &Problem{Message: msg, Type: "generator_fell_behind", Text: "the run is INCONCLUSIVE unless a failure it cannot explain shows"}})
		suite.Errors++
	}
	if s.Interrupted {
		suite.Cases = append(suite.Cases, Case{Name: "run", Classname: class, Time: secs,
			Error: &Problem{Message: "the run was interrupted: results are partial", Type: "interrupted"}})
		suite.Errors++
	}
	suite.Tests = len(suite.Cases)
	for _, w := range s.Warnings {
		suite.SystemOut += "WARNING: " + w + "\n"
	}
	return &Suites{Name: "otasim", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Time: secs, Suites: []Suite{suite}}, nil
}

func orNote(t results.TargetResult) string {
	if t.Note != "" {
		return t.Note
	}
	return "no value measured"
}

// Write writes the JUnit XML of s to w.
func Write(w io.Writer, s *results.Summary) error {
	return WriteWithBaseline(w, s, nil)
}

func encode(w io.Writer, doc *Suites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// BaselineSuite turns a baseline verdict into a second test suite,
// "otasim.<scenario>.baseline": one test case per compared metric, a
// failure on each that regressed beyond its tolerance.
func BaselineSuite(s *results.Summary, v *baseline.Verdict) Suite {
	class := "otasim." + s.Scenario + ".baseline"
	suite := Suite{Name: class, Time: "0", Properties: []Property{{"baseline_run_id", v.BaseID}, {"run_id", v.CurrentID}}}
	for _, r := range v.Rows {
		c := Case{Name: r.Metric, Classname: class, Time: "0"}
		switch r.Status {
		case baseline.StatusNA:
			continue
		case baseline.StatusRegressed:
			c.Failure = &Problem{Type: "regression",
				Message: fmt.Sprintf("%s: %s now, %s in baseline %s (%s)", r.Metric, format.Value(r.Current, r.Unit), format.Value(r.Base, r.Unit), v.BaseID, r.Why),
				Text:    fmt.Sprintf("tolerance %s", r.Tolerance.In(r.Unit))}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	for _, n := range v.Notes {
		suite.SystemOut += "NOTE: " + n + "\n"
	}
	return suite
}

// WriteWithBaseline writes the JUnit XML of s and, when v is not nil, the
// baseline suite beside it.
func WriteWithBaseline(w io.Writer, s *results.Summary, v *baseline.Verdict) error {
	doc, err := Build(s)
	if err != nil {
		return err
	}
	if v != nil {
		bs := BaselineSuite(s, v)
		doc.Suites = append(doc.Suites, bs)
		doc.Tests += bs.Tests
		doc.Failures += bs.Failures
	}
	return encode(w, doc)
}
