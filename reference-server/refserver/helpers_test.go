package refserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/internal/servertest"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/release"
)

const testToken = "test-admin-token"

// testBundleSize keeps generated demo bundles small in tests.
const testBundleSize = 8 << 10

// clock is a settable server clock.
type clock = servertest.Clock

func newClock() *clock { return servertest.NewClock() }

// testServer is a Server serving on a loopback listener.
type testServer struct {
	*Server
	URL   string
	DB    string
	clock *clock
	stop  func()
}

type serverOpt func(*Config)

// startServer serves a server with the demo seeded (small bundles) on a
// real socket until the test ends.
func startServer(t testing.TB, opts ...serverOpt) *testServer {
	t.Helper()
	return startServerAt(t, filepath.Join(t.TempDir(), "ref.db"), newClock(), opts...)
}

func startServerAt(t testing.TB, db string, clk *clock, opts ...serverOpt) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Without the CPU guard: what a test's server answers must not depend
	// on how busy the machine is (cpuguard_test.go tests the guard).
	cfg := Config{DBPath: db, AdminToken: testToken, Now: clk.Now, PublicURL: "http://" + ln.Addr().String(),
		Bounds: Bounds{NoCPUGuard: true}}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if err := srv.seedDemo(context.Background(), testBundleSize); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	ts := &testServer{Server: srv, URL: cfg.PublicURL, DB: db, clock: clk}
	ts.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(ts.stop)
	return ts
}

// deviceInfo is the info object of a demo device on its builtin bundle.
func deviceInfo(id string) protocol.Info {
	return protocol.Info{Platform: "android", DeviceID: id, AppID: DemoAppID, VersionBuild: "1.0.0",
		VersionName: "builtin", PluginVersion: protocol.PluginVersion, IsProd: true, VersionOS: "14"}
}

// do sends a request and returns the status and body.
func do(t testing.TB, method, url string, body any, hdr ...string) (int, []byte) {
	t.Helper()
	st, raw, _ := servertest.Do(t, method, url, body, hdr...)
	return st, raw
}

// admin sends an admin call with the token and decodes the reply into out
// (if not nil); it returns the status.
func (ts *testServer) admin(t testing.TB, method, path string, body any, out any) int {
	t.Helper()
	st, raw := do(t, method, ts.URL+path, body, "Authorization", "Bearer "+testToken)
	if out != nil && st < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	if st >= 300 {
		checkErrorShape(t, raw)
	}
	return st
}

// checkErrorShape asserts the protocol error JSON: an error code and a
// message (the kind comes only with /updates refusals and admin errors).
func checkErrorShape(t testing.TB, raw []byte) protocol.Error {
	t.Helper()
	var e protocol.Error
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("error reply is not JSON: %q", raw)
	}
	if e.Error == "" || e.Message == "" {
		t.Fatalf("error reply lacks error or message: %s", raw)
	}
	return e
}

// uuid is the i-th test device id.
func uuid(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

func updates(t testing.TB, ts *testServer, in protocol.Info) (int, protocol.UpdateReply) {
	t.Helper()
	st, raw := do(t, "POST", ts.URL+"/updates", in)
	var rep protocol.UpdateReply
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("updates reply %q: %v", raw, err)
	}
	return st, rep
}

func event(id, action, version, old string) protocol.StatsEvent {
	e := protocol.StatsEvent{Info: deviceInfo(id), Action: action, OldVersionName: old, Timestamp: 1}
	e.VersionName = version
	return e
}

// channelView is what the tests read of a channel from the admin API.
type channelView struct {
	Bundle         string           `json:"bundle"`
	PreviousBundle string           `json:"previous_bundle"`
	Rollout        *release.Rollout `json:"rollout"`
	Guard          live.GuardStatus `json:"guard"`
}
