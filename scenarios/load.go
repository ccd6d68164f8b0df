package scenarios

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// bundledFS holds the scenarios shipped in the binary, so that
// `otasim run quickstart` works from any folder.
//
//go:embed *.yaml
var bundledFS embed.FS

// maxFileSize bounds what Load reads; scenarios are a few kilobytes.
const maxFileSize = 4 << 20

// Info describes a bundled scenario for `otasim scenarios list`.
type Info struct {
	Name        string   `json:"name"`
	Description string   `json:"description"` // first line only
	Devices     int      `json:"devices"`
	Duration    Duration `json:"duration"`
	// Err is set when the bundled file does not validate (a defect the
	// test suite catches; listed rather than hidden).
	Err string `json:"error,omitempty"`
}

// List returns the bundled scenarios sorted by name.
func List() []Info {
	entries, err := fs.Glob(bundledFS, "*.yaml")
	if err != nil {
		return nil
	}
	slices.Sort(entries)
	out := make([]Info, 0, len(entries))
	for _, file := range entries {
		name := strings.TrimSuffix(file, ".yaml")
		info := Info{Name: name}
		s, err := loadBundled(name)
		if err != nil {
			info.Err = err.Error()
		} else {
			info.Description, _, _ = strings.Cut(strings.TrimSpace(s.Description), "\n")
			info.Devices = s.Fleet.Devices
			info.Duration = s.Run.Duration
		}
		out = append(out, info)
	}
	return out
}

// Bundled returns the YAML source of a bundled scenario, by name with or
// without ".yaml".
func Bundled(name string) ([]byte, error) {
	file := strings.TrimSuffix(name, ".yaml") + ".yaml"
	if strings.ContainsAny(name, `/\`) || !fs.ValidPath(file) {
		return nil, fmt.Errorf("no bundled scenario %q (bundled: %s)", name, bundledNames())
	}
	data, err := bundledFS.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("no bundled scenario %q (bundled: %s)", name, bundledNames())
	}
	return data, nil
}

func bundledNames() string {
	entries, _ := fs.Glob(bundledFS, "*.yaml")
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = strings.TrimSuffix(e, ".yaml")
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// Load reads a scenario from a file when nameOrPath names one, else the
// bundled scenario of that name (with or without ".yaml"). A name with a
// path separator must be a file.
func Load(nameOrPath string) (*Scenario, error) {
	if st, err := os.Stat(nameOrPath); err == nil && !st.IsDir() {
		if st.Size() > maxFileSize {
			return nil, fmt.Errorf("scenario %s: %d bytes is too large for a scenario", nameOrPath, st.Size())
		}
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			return nil, fmt.Errorf("scenario: %w", err)
		}
		return Parse(nameOrPath, data)
	} else if strings.ContainsAny(nameOrPath, `/\`) {
		if err == nil {
			return nil, fmt.Errorf("scenario %s is a folder (expected a YAML file)", nameOrPath)
		}
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return loadBundled(nameOrPath)
}

// loadBundled parses a bundled scenario; problems name the file as
// "NAME.yaml", Source is "embedded:NAME.yaml".
func loadBundled(name string) (*Scenario, error) {
	data, err := Bundled(name)
	if err != nil {
		return nil, err
	}
	file := strings.TrimSuffix(name, ".yaml") + ".yaml"
	s, err := parse(file, data)
	if err != nil {
		return nil, err
	}
	s.Source = "embedded:" + file
	return s, nil
}

// Parse decodes, completes with defaults and validates a scenario.
// source names the data in problems ("file:line:col: ...") and becomes
// Scenario.Source. Every problem is reported at once in an *Error.
func Parse(source string, data []byte) (*Scenario, error) {
	return parse(source, data)
}

func parse(file string, data []byte) (s *Scenario, err error) {
	if len(data) > maxFileSize {
		return nil, &Error{Problems: []Problem{{File: file, Line: 1, Col: 1,
			Message: fmt.Sprintf("%d bytes is too large (expected a scenario of at most %d bytes)", len(data), maxFileSize)}}}
	}
	d := newDecoder(file)
	bodies, perr := parseYAML(data)
	if perr != nil {
		var ye yaml.Error
		p := Problem{File: file, Message: perr.Error()}
		if errors.As(perr, &ye) {
			p.Message = ye.GetMessage() + " (expected valid YAML)"
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				p.Line, p.Col = tk.Position.Line, tk.Position.Column
			}
		}
		return nil, &Error{Problems: []Problem{p}}
	}
	if len(bodies) == 0 {
		return nil, &Error{Problems: []Problem{{File: file, Line: 1, Col: 1, Message: "the file holds no scenario (expected a mapping with fleet, bundles, timeline, ...)"}}}
	}
	for _, extra := range bodies[1:] {
		d.addAt(nodePos(extra), "", "a second YAML document (expected one scenario per file)")
	}
	sc := &Scenario{}
	d.decode(bodies[0], reflect.ValueOf(sc).Elem(), "", 0)
	typeProblems := slices.Clone(d.problems)

	defaultName := strings.TrimSuffix(path.Base(strings.ReplaceAll(file, `\`, "/")), path.Ext(file))
	present := func(p string) bool { return d.set[p] }
	applyDefaults(sc, defaultName, present)
	for _, is := range validate(sc, present) {
		if coveredBy(is.path, typeProblems) || d.underSuggested(is.path) {
			continue // a value that did not decode, or a misspelt key, is already reported
		}
		d.addAt(d.at(is.path), is.path, is.msg)
	}
	if len(d.problems) > 0 {
		return nil, &Error{Problems: sortProblems(d.problems)}
	}
	sortTimeline(sc)
	sc.Source = file
	sc.raw = canonical(data)
	return sc, nil
}

// parseYAML parses the file and returns its documents' bodies. The
// parser is third-party code fed untrusted input: a panic in it becomes an
// error rather than taking the program down.
func parseYAML(data []byte) (bodies []ast.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			bodies, err = nil, fmt.Errorf("the YAML parser failed on this input: %v", r)
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, err
	}
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	return bodies, nil
}

// coveredBy reports whether a semantic problem at path concerns a value
// already reported as undecodable (the same path, inside it, or a rule
// over a list or map that holds it).
func coveredBy(p string, typeProblems []Problem) bool {
	for _, tp := range typeProblems {
		if strings.HasPrefix(tp.Message, "unknown key") {
			continue
		}
		if tp.Path == "" || tp.Path == p || strings.HasPrefix(p, tp.Path+".") || strings.HasPrefix(p, tp.Path+"[") ||
			strings.HasPrefix(tp.Path, p+".") || strings.HasPrefix(tp.Path, p+"[") {
			return true
		}
	}
	return false
}

// canonical is the source as hashed: line endings normalised so the same
// scenario checked out on Windows hashes the same.
func canonical(data []byte) []byte {
	return bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
}

// Hash returns the SHA-256 (hex) of the scenario's canonical source bytes,
// for the run history; a scenario built in Go hashes its JSON form.
func (s *Scenario) Hash() string {
	data := s.raw
	if data == nil {
		data, _ = json.Marshal(s)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Raw returns the source bytes the scenario was parsed from (nil for a
// scenario built in Go).
func (s *Scenario) Raw() []byte { return slices.Clone(s.raw) }
