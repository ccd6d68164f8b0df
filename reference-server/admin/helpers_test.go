package admin

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/faults"
	"github.com/otasim/otasim/reference-server/internal/servertest"
	"github.com/otasim/otasim/reference-server/live"
)

const testToken = "test-admin-token"

// testAPI is the admin API of a fresh state with the demo seeded (small
// bundles), served on a loopback socket.
type testAPI struct {
	*API
	state *live.State
	url   string
}

func startAPI(t *testing.T) *testAPI {
	t.Helper()
	return startAPIClock(t, servertest.NewClock())
}

// startAPIClock is startAPI on a given clock.
func startAPIClock(t *testing.T, clk *servertest.Clock) *testAPI {
	t.Helper()
	st, err := live.Open(context.Background(), live.Config{DBPath: filepath.Join(t.TempDir(), "a.db"),
		PublicURL: "http://cdn.test", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	api, err := New(Config{State: st, Faults: faults.NewSwitch(), Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.SeedDemo(context.Background(), 8<<10); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &testAPI{API: api, state: st, url: srv.URL}
}

// do sends a request and returns the status and body.
func do(t testing.TB, method, url string, body any, hdr ...string) (int, []byte) {
	t.Helper()
	st, raw, _ := servertest.Do(t, method, url, body, hdr...)
	return st, raw
}

// call sends an admin call with the token and decodes a success into out
// (if not nil); it returns the status.
func (ta *testAPI) call(t testing.TB, method, path string, body any, out any) int {
	t.Helper()
	st, raw := do(t, method, ta.url+path, body, "Authorization", "Bearer "+testToken)
	if out != nil && st < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	if st >= 300 {
		errorShape(t, raw)
	}
	return st
}

// errorShape asserts the admin API's error JSON.
func errorShape(t testing.TB, raw []byte) protocol.Error {
	t.Helper()
	var e protocol.Error
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("error reply is not JSON: %q", raw)
	}
	if e.Error == "" || e.Kind != protocol.KindFailed || e.Message == "" {
		t.Fatalf("error reply lacks error, message or kind: %s", raw)
	}
	return e
}
