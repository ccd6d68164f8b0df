package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// TestPprofAddr runs ci-smoke with --pprof-addr and reads, while it runs,
// a goroutine dump that holds the engine's loop and a second of execution
// trace; once the run is over the address is closed.
func TestPprofAddr(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run: not in -short")
	}
	var errOut lockedWriter
	app := newApp()
	app.Writer, app.ErrWriter = io.Discard, &errOut
	done := make(chan error, 1)
	go func() {
		done <- execute(app, []string{"otasim", "run", "ci-smoke", "--quiet", "--no-history",
			"--out", filepath.Join(t.TempDir(), "run"), "--pprof-addr", "127.0.0.1:0"})
	}()
	addrRE := regexp.MustCompile(`pprof: http://(127\.0\.0\.1:\d+)/debug/pprof/`)
	var base string
	for deadline := time.Now().Add(time.Minute); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(errOut.String()); m != nil {
			base = "http://" + m[1] + "/debug/pprof/"
		}
	}
	if base == "" {
		t.Fatalf("no pprof address printed:\n%s", errOut.String())
	}
	get := func(path string) []byte {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v\n%s", path, resp.StatusCode, err, b)
		}
		return b
	}
	// The engine's loop starts once the reference server is up.
	var dump []byte
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if dump = get("goroutine?debug=2"); bytes.Contains(dump, []byte("sim.(*engine).loop")) {
			break
		}
	}
	if !bytes.Contains(dump, []byte("sim.(*engine).loop")) {
		t.Errorf("no goroutine dump during the run holds the engine's loop")
	}
	if tr := get("trace?seconds=1"); !bytes.HasPrefix(tr, []byte("go 1.")) {
		t.Errorf("trace: %d bytes without the header of an execution trace: %q", len(tr), tr[:min(len(tr), 16)])
	}
	select {
	case err := <-done:
		var coded cli.ExitCoder
		if err != nil && (!errors.As(err, &coded) || (coded.ExitCode() != exitTargetFail && coded.ExitCode() != exitInconclusive)) {
			t.Fatalf("the run: %v\n%s", err, errOut.String()) // its verdict is not this test's
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("the run did not end")
	}
	if _, err := http.Get(base); err == nil {
		t.Errorf("%s still served after the run", base)
	}
}

// lockedWriter is a buffer written by the run and read by the test.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
