package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// Bad monitoring flags are usage errors, each named, before anything
// runs.
func TestRunMetricsFlags(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"two folders", []string{"--out", "a", "--out", "b"}, []string{`two run folders ("a" and "b")`}},
		{"address", []string{"--metrics-addr", "9464"}, []string{`--metrics-addr "9464": want HOST:PORT`}},
		{"url", []string{"--out", "prometheus-rw=127.0.0.1:9090"}, []string{"--out prometheus-rw=127.0.0.1:9090", "want http(s)://"}},
		{"interval", []string{"--out", "prometheus-rw=http://127.0.0.1:9/api/v1/write", "--remote-write-interval", "0s"},
			[]string{"--remote-write-interval must be above 0"}},
		{"linger", []string{"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "-1s"}, []string{"--metrics-linger must not be negative"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			args := append([]string{"run", "ci-smoke", "-q", "--no-history"}, c.args...)
			if c.name != "two folders" {
				args = append(args, "--out", dir)
			}
			app := newApp()
			app.Writer, app.ErrWriter = io.Discard, io.Discard
			err := execute(app, append([]string{"otasim"}, args...))
			var coded cli.ExitCoder
			if !errors.As(err, &coded) || coded.ExitCode() != exitUsage {
				t.Fatalf("error %v, want exit code %d", err, exitUsage)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("a bad flag left a run folder %s", dir)
			}
		})
	}
}
