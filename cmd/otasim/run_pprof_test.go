package main

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// TestPprofAddr runs ci-smoke in a process of its own with --pprof-addr
// and reads, while it runs, a goroutine dump that holds the engine's loop
// and a second of execution trace.
func TestPprofAddr(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run: not in -short")
	}
	p := startProc(t, "run", "ci-smoke", "--quiet", "--no-history", "--out", filepath.Join(t.TempDir(), "run"),
		"--pprof-addr", "127.0.0.1:0")
	base := "http://" + p.find(t, `pprof: http://(127\.0\.0\.1:\d+)/debug/pprof/`) + "/debug/pprof/"
	get := func(path string) []byte {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, p.output())
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v\n%s", path, resp.StatusCode, err, b)
		}
		return b
	}
	// The engine's loop starts once the reference server is up.
	loop := []byte("sim.(*engine).loop")
	var dump []byte
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if dump = get("goroutine?debug=2"); bytes.Contains(dump, loop) {
			break
		}
	}
	if !bytes.Contains(dump, loop) {
		t.Errorf("no goroutine dump during the run holds the engine's loop")
	}
	if tr := get("trace?seconds=1"); !bytes.HasPrefix(tr, []byte("go 1.")) {
		t.Errorf("trace: %d bytes without the header of an execution trace: %q", len(tr), tr[:min(len(tr), 16)])
	}
	if code := p.wait(t); code != exitOK && code != exitTargetFail && code != exitInconclusive { // the verdict is not this test's
		t.Fatalf("exit %d\n%s", code, p.output())
	}
}
