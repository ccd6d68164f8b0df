package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/otasim/otasim/reference-server/internal/servertest"
	"github.com/otasim/otasim/reference-server/refserver"
)

const (
	token    = "conformance-token"
	app      = refserver.DemoAppID
	metaApp  = "com.example.meta"
	soloApp  = "com.example.solo" // no public channel
	openApp  = "com.example.open" // a public channel devices may pick
	ipLimit  = 3
	pinned   = "11111111-1111-4111-8111-111111111111" // pinned to internal
	pinnedNA = "22222222-2222-4222-8222-222222222222" // pinned to noandroid
	pinnedDL = "33333333-3333-4333-8333-333333333333" // pinned to deleted
)

// env is a reference server on a loopback socket with the fixture every
// case reads.
type env struct {
	url   string
	clock *servertest.Clock
}

func startEnv(t *testing.T) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clk := servertest.NewClock()
	srv, err := refserver.New(refserver.Config{DBPath: filepath.Join(t.TempDir(), "c.db"), AdminToken: token,
		Now: clk.Now, PublicURL: "http://" + ln.Addr().String(), ChannelSelfIPLimit: ipLimit,
		// The backend's answers, whatever else runs on the test's machine:
		// the CPU guard's sheds are this server's own policy.
		Bounds: refserver.Bounds{NoCPUGuard: true}})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	e := &env{url: "http://" + ln.Addr().String(), clock: clk}
	e.fixture(t)
	return e
}

// fixture builds, through the admin API, the apps, bundles, channels and
// pins the cases name.
func (e *env) fixture(t *testing.T) {
	a := "/admin/apps/" + app
	must := func(method, path string, body any) {
		t.Helper()
		if st, raw := e.send(t, method, path, "", body, map[string]string{"Authorization": "Bearer " + token}); st >= 300 {
			t.Fatalf("fixture %s %s: %d %s", method, path, st, raw)
		}
	}
	must("POST", "/admin/apps", map[string]any{"app_id": app})
	for _, b := range []map[string]any{
		{"name": "1.0.0", "size": 4096}, {"name": "1.1.0", "size": 4096}, {"name": "1.2.0", "size": 4096},
		{"name": "0.9.0", "size": 4096}, {"name": "1.0.1", "size": 4096}, {"name": "2.0.0", "size": 4096},
		{"name": "1.3.0", "size": 4096, "key_id": "mine"},
		{"name": "1.5.0", "size": 4096, "min_native": "1.3.0"}, {"name": "1.6.0", "size": 4096},
		{"name": "3.0.0", "no_bytes": true},
		{"name": "4.0.0", "external_url": "https://files.example/4.0.0.zip"},
		{"name": "4.1.0", "external_url": "ftp://files.example/4.1.0.zip"},
		{"name": "0.8.0", "size": 4096},
	} {
		must("POST", a+"/bundles", b)
	}
	no := false
	for _, c := range []map[string]any{
		{"name": "production", "bundle": "1.1.0", "public": true},
		{"name": "beta", "bundle": "1.2.0", "allow_self_set": true},
		{"name": "internal", "bundle": "1.2.0"},
		{"name": "noandroid", "bundle": "1.2.0", "allow_self_set": true, "android": no},
		{"name": "major", "bundle": "2.0.0", "allow_self_set": true, "disable_auto_update": "major"},
		{"name": "minor", "bundle": "1.2.0", "allow_self_set": true, "disable_auto_update": "minor"},
		{"name": "patch", "bundle": "1.0.1", "allow_self_set": true, "disable_auto_update": "patch"},
		{"name": "vnum", "bundle": "1.5.0", "allow_self_set": true, "disable_auto_update": "version_number"},
		{"name": "misconf", "bundle": "1.6.0", "allow_self_set": true, "disable_auto_update": "version_number"},
		{"name": "undernative", "bundle": "0.9.0", "allow_self_set": true, "disable_auto_update_under_native": true},
		{"name": "noprod", "bundle": "1.2.0", "allow_self_set": true, "allow_prod": no},
		{"name": "nodev", "bundle": "1.2.0", "allow_self_set": true, "allow_dev": no},
		{"name": "nodevice", "bundle": "1.2.0", "allow_self_set": true, "allow_device": no},
		{"name": "noemu", "bundle": "1.2.0", "allow_self_set": true, "allow_emulator": no},
		{"name": "native", "allow_self_set": true},
		{"name": "nobytes", "bundle": "3.0.0", "allow_self_set": true},
		{"name": "external", "bundle": "4.0.0", "allow_self_set": true},
		{"name": "ftp", "bundle": "4.1.0", "allow_self_set": true},
		{"name": "deleted", "bundle": "0.8.0", "allow_self_set": true},
		{"name": "keyed", "bundle": "1.3.0", "allow_self_set": true},
		{"name": "rollout", "bundle": "1.1.0", "allow_self_set": true},
		{"name": "paused", "bundle": "1.1.0", "allow_self_set": true},
	} {
		must("POST", a+"/channels", c)
	}
	must("POST", a+"/channels/rollout/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 0})
	must("POST", a+"/channels/paused/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 10000})
	must("POST", a+"/channels/paused/rollout/pause", nil)
	must("DELETE", a+"/bundles/0.8.0", nil)
	must("PUT", a+"/devices/"+pinned+"/channel", map[string]any{"channel": "internal"})
	must("PUT", a+"/devices/"+pinnedNA+"/channel", map[string]any{"channel": "noandroid"})
	must("PUT", a+"/devices/"+pinnedDL+"/channel", map[string]any{"channel": "deleted"})

	must("POST", "/admin/apps", map[string]any{"app_id": metaApp, "expose_metadata": true})
	must("POST", "/admin/apps/"+metaApp+"/bundles", map[string]any{"name": "1.4.0", "size": 4096,
		"link": "https://example.com/changelog/1.4.0", "comment": "Release notes"})
	must("POST", "/admin/apps/"+metaApp+"/channels", map[string]any{"name": "production", "bundle": "1.4.0", "public": true})

	must("POST", "/admin/apps", map[string]any{"app_id": soloApp})
	must("POST", "/admin/apps/"+soloApp+"/bundles", map[string]any{"name": "1.0.0", "size": 4096})
	must("POST", "/admin/apps/"+soloApp+"/channels", map[string]any{"name": "solo", "bundle": "1.0.0", "allow_self_set": true})

	must("POST", "/admin/apps", map[string]any{"app_id": openApp})
	must("POST", "/admin/apps/"+openApp+"/bundles", map[string]any{"name": "1.1.0", "size": 4096})
	must("POST", "/admin/apps/"+openApp+"/bundles", map[string]any{"name": "1.2.0", "size": 4096})
	must("POST", "/admin/apps/"+openApp+"/channels", map[string]any{"name": "main", "bundle": "1.1.0", "public": true, "allow_self_set": true})
	must("POST", "/admin/apps/"+openApp+"/channels", map[string]any{"name": "other", "bundle": "1.2.0", "allow_self_set": true})
	e.deltaFixture(t)
}

// send makes one request and returns the status and body.
func (e *env) send(t *testing.T, method, path, query string, body any, hdr map[string]string) (int, []byte) {
	st, raw, _ := e.sendH(t, method, path, query, body, hdr)
	return st, raw
}

func (e *env) sendH(t *testing.T, method, path, query string, body any, hdr map[string]string) (int, []byte, http.Header) {
	t.Helper()
	u := e.url + path
	if query != "" {
		u += "?" + query
	}
	var pairs []string
	for k, v := range hdr {
		pairs = append(pairs, k, v)
	}
	return servertest.Do(t, method, u, body, pairs...)
}

// deviceID is the device of case i, so that no two cases share rate limits
// or overrides.
func deviceID(i int) string { return fmt.Sprintf("c0000000-0000-4000-8000-%012d", i) }

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
