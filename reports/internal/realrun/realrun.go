// Package realrun gives the reports' tests a real run: it builds the otasim
// binary and runs a bundled scenario into a fresh folder, exactly as a
// user would.
package realrun

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// ModuleRoot finds the folder holding go.mod, walking up from the test's
// working folder.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// Binary builds cmd/otasim into the test's temporary folder (with -race
// when the tests run with it, so the build reuses the packages they
// compiled) and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "otasim")
	args := []string{"build", "-o", path}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/otasim")
	cmd := exec.Command("go", args...)
	cmd.Dir = ModuleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/otasim: %v\n%s", err, out)
	}
	return path
}

// Result is a finished run of the binary.
type Result struct {
	Dir    string // the run folder
	Code   int    // exit code
	Output string // stdout and stderr
}

// Run runs `otasim args...` with a bound on its time and returns its exit
// code and output.
func Run(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	bin := Binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(append(os.Environ(), echartsEnv(t)...), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("otasim %v: %v\n%s", args, err, out.String())
		}
		code = ee.ExitCode()
	}
	return Result{Dir: cmd.Dir, Code: code, Output: out.String()}
}

// CISmoke runs the bundled ci-smoke scenario into a fresh folder and
// returns the run folder. extra are more flags of `otasim run`.
func CISmoke(t testing.TB, env []string, extra ...string) (string, Result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "run")
	args := append([]string{"run", "ci-smoke", "--quiet", "--out", out}, extra...)
	res := Run(t, env, args...)
	// 0, 3 and 4 are verdicts (PASS, FAIL, INCONCLUSIVE: a loaded test
	// machine may starve the generator); 1 and 2 are not.
	if res.Code != 0 && res.Code != 3 && res.Code != 4 {
		t.Fatalf("otasim run ci-smoke: exit %d\n%s", res.Code, res.Output)
	}
	return out, res
}

// Process is a running otasim.
type Process struct {
	cmd  *exec.Cmd
	out  *LockedBuffer
	done chan struct{}
	err  error
}

// LockedBuffer is a bytes.Buffer safe for a process's writes and a
// test's reads at once.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start starts `otasim args...` in a fresh folder; the test's cleanup
// stops it if it still runs.
func Start(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	bin := Binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(append(os.Environ(), echartsEnv(t)...), env...)
	p := &Process{cmd: cmd, out: &LockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start otasim: %v", err)
	}
	go func() {
		p.err = cmd.Wait()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

// Output is what the process printed so far.
func (p *Process) Output() string { return p.out.String() }

// Done is closed when the process has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the end and returns the exit code.
func (p *Process) Wait() int {
	<-p.done
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		return -1
	}
	return 0
}

// EChartsPath is the ECharts build the tests use: OTASIM_ECHARTS_JS, else
// the project's (just echarts); "" when there is none.
func EChartsPath(t testing.TB) string {
	if p := os.Getenv("OTASIM_ECHARTS_JS"); p != "" {
		return p
	}
	p := filepath.Join(ModuleRoot(t), ".cache", "echarts", "node_modules", "echarts", "dist", "echarts.min.js")
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	return p
}

// echartsEnv points the binary, which runs in a temporary folder, at the
// project's ECharts build (just echarts) unless OTASIM_ECHARTS_JS is set.
func echartsEnv(t testing.TB) []string {
	if os.Getenv("OTASIM_ECHARTS_JS") != "" {
		return nil
	}
	if p := EChartsPath(t); p != "" {
		return []string{"OTASIM_ECHARTS_JS=" + p}
	}
	return nil
}

// WaitFor waits until the output so far matches re and returns the
// submatches; the test fails when the process ends first or d passes.
func (p *Process) WaitFor(t testing.TB, re *regexp.Regexp, d time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if m := re.FindStringSubmatch(p.Output()); m != nil {
			return m
		}
		select {
		case <-p.Done():
			if m := re.FindStringSubmatch(p.Output()); m != nil {
				return m
			}
			t.Fatalf("otasim ended before printing %s:\n%s", re, p.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("otasim printed no %s within %v:\n%s", re, d, p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
