package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runScenariosCLI runs the app with args and returns what it printed and
// the exit code run() would give.
func runScenariosCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &errOut
	err := execute(app, append([]string{"otasim"}, args...))
	code = exitOK
	if err != nil {
		code = exitError
		var coded cli.ExitCoder
		if errors.As(err, &coded) {
			code = coded.ExitCode()
		}
	}
	return out.String(), errOut.String(), code
}

func TestScenariosList(t *testing.T) {
	out, _, code := runScenariosCLI(t, "scenarios", "list")
	if code != exitOK || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "quickstart") || strings.Contains(out, "INVALID") {
		t.Fatalf("list (code %d):\n%s", code, out)
	}
	out, _, code = runScenariosCLI(t, "scenarios", "list", "--json")
	var infos []struct {
		Name    string `json:"name"`
		Devices int    `json:"devices"`
	}
	if err := json.Unmarshal([]byte(out), &infos); err != nil || code != exitOK {
		t.Fatalf("list --json: %v (code %d)\n%s", err, code, out)
	}
	found := false
	for _, in := range infos {
		if in.Name == "quickstart" && in.Devices == 5000 {
			found = true
		}
	}
	if !found {
		t.Errorf("quickstart with 5000 devices not in %+v", infos)
	}
}

func TestScenariosValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("flet: 1\nrun: {duration: 9}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		out, inErr []string
	}{
		{name: "bundled names", args: []string{"quickstart", "ci-smoke.yaml"}, code: exitOK,
			out: []string{"ok quickstart (embedded:quickstart.yaml)", "ok ci-smoke (embedded:ci-smoke.yaml)"}},
		{name: "a bad file among good", args: []string{bad, "quickstart"}, code: exitError,
			out: []string{"ok quickstart"},
			inErr: []string{
				bad + `:1:1: unknown key "flet" (did you mean "fleet"?)`,
				bad + ":2:17: run.duration: 9 has no unit (expected a duration such as 90s or 24h)",
			}},
		{name: "unknown name", args: []string{"nosuch"}, code: exitError, inErr: []string{`nosuch: no bundled scenario "nosuch"`}},
		{name: "no argument", args: nil, code: exitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runScenariosCLI(t, append([]string{"scenarios", "validate"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.inErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestScenariosShow(t *testing.T) {
	out, _, code := runScenariosCLI(t, "scenarios", "show", "quickstart")
	if code != exitOK || !strings.Contains(out, "name: quickstart") {
		t.Fatalf("show quickstart (code %d):\n%s", code, out)
	}
	out, _, code = runScenariosCLI(t, "scenarios", "show", "--resolved", "quickstart")
	if code != exitOK || !strings.Contains(out, "name: occasional") || !strings.Contains(out, "sample_every: 10m") {
		t.Errorf("show --resolved quickstart lacks the default segments or run settings (code %d):\n%s", code, out)
	}
	if _, _, code := runScenariosCLI(t, "scenarios", "show", "nosuch"); code != exitError {
		t.Errorf("show nosuch: code %d, want %d", code, exitError)
	}
	if _, _, code := runScenariosCLI(t, "scenarios", "show"); code != exitUsage {
		t.Errorf("show without a name: code %d, want %d", code, exitUsage)
	}
}
