package admin

import (
	"os"
	"strings"
	"testing"

	"github.com/otasim/otasim/protocol"
)

// The bundles Capgo allows besides a zip the server holds: one at an
// external URL, one without bytes, metadata, deletion.
func TestAdminBundleKinds(t *testing.T) {
	ts := startAPI(t)
	const bundles = "/admin/apps/com.example.app/bundles"
	var ext bundleJSON
	if st := ts.call(t, "POST", bundles, map[string]any{"name": "2.0.0", "external_url": "https://files.example/2.0.0.zip",
		"sha256": "ab12", "link": "https://example.com/2.0.0", "comment": "notes", "key_id": "k1"}, &ext); st != 201 {
		t.Fatalf("external: %d", st)
	}
	if ext.URL != "https://files.example/2.0.0.zip" || ext.SHA256 != "ab12" || ext.Size != 0 || ext.Link == "" || ext.KeyID != "k1" {
		t.Errorf("external bundle %+v", ext)
	}
	var none bundleJSON
	if st := ts.call(t, "POST", bundles, map[string]any{"name": "2.1.0", "no_bytes": true}, &none); st != 201 || none.URL != "" {
		t.Errorf("no bytes: %d %+v", st, none)
	}
	for _, bad := range []map[string]any{
		{"name": "2.2.0"},
		{"name": "2.2.0", "size": 4096, "no_bytes": true},
		{"name": "2.2.0", "external_url": "not a url"},
		{"name": "2.2.0", "size": 4096, "sha256": "ab"},
		{"name": "2.2.0", "no_bytes": true, "key_id": strings.Repeat("k", 21)},
		{"name": "unknown", "no_bytes": true},
		{"name": "builtin", "size": 4096},
		{"name": "2.2.0", "no_bytes": true, "min_native": "1.0"},
	} {
		st, raw := do(t, "POST", ts.url+bundles, bad, "Authorization", "Bearer "+testToken)
		if e := errorShape(t, raw); st != 400 || e.Error != codeInvalidRequest {
			t.Errorf("%v: %d %s", bad, st, raw)
		}
	}

	var patched bundleJSON
	if st := ts.call(t, "PATCH", bundles+"/1.1.0", map[string]any{"link": "https://example.com/1.1.0", "comment": "fixes"}, &patched); st != 200 ||
		patched.Link != "https://example.com/1.1.0" || patched.Comment != "fixes" {
		t.Errorf("patch: %d %+v", st, patched)
	}
	if st := ts.call(t, "PATCH", bundles+"/1.1.0", map[string]any{"size": 1}, nil); st != 400 {
		t.Errorf("patching the bytes: %d, want 400", st)
	}

	path := ts.state.Snapshot().Apps[DemoAppID].Bundles["1.2.0"].Path
	var gone bundleJSON
	if st := ts.call(t, "DELETE", bundles+"/1.2.0", nil, &gone); st != 200 || !gone.Deleted || gone.URL != "" {
		t.Fatalf("delete: %d %+v", st, gone)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the deleted bundle's file is still there: %v", err)
	}
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"DELETE", bundles + "/1.2.0", nil, 409},
		{"DELETE", bundles + "/builtin", nil, 404},
		{"POST", bundles, map[string]any{"name": "1.2.0", "size": 4096}, 409},
		{"PATCH", "/admin/apps/com.example.app/channels/production", map[string]any{"bundle": "1.2.0"}, 400},
		{"POST", "/admin/apps/com.example.app/channels/production/rollout", map[string]any{"bundle": "1.2.0", "percent_bp": 100}, 400},
	} {
		if st := ts.call(t, c.method, c.path, c.body, nil); st != c.want {
			t.Errorf("%s %s after the deletion: %d, want %d", c.method, c.path, st, c.want)
		}
	}
	// The channel that served it still names it: devices resolve it as
	// the backend does.
	var ch channelJSON
	ts.call(t, "GET", "/admin/apps/com.example.app/channels/beta", nil, &ch)
	if ch.Bundle != "1.2.0" {
		t.Errorf("beta now serves %q", ch.Bundle)
	}
	ts.call(t, "POST", bundles, map[string]any{"name": protocol.Builtin}, nil)
	if st := ts.call(t, "DELETE", bundles+"/builtin", nil, nil); st != 400 {
		t.Errorf("deleting builtin: %d, want 400", st)
	}
}

func TestAdminExposeMetadata(t *testing.T) {
	ts := startAPI(t)
	var a appJSON
	if st := ts.call(t, "PATCH", "/admin/apps/com.example.app", map[string]any{"expose_metadata": true}, &a); st != 200 || !a.ExposeMetadata {
		t.Fatalf("patch app: %d %+v", st, a)
	}
	if !ts.state.Snapshot().Apps[DemoAppID].ExposeMetadata {
		t.Error("not published")
	}
	if st := ts.call(t, "POST", "/admin/apps", map[string]any{"app_id": "com.example.other", "expose_metadata": true}, &a); st != 201 || !a.ExposeMetadata {
		t.Errorf("create with metadata: %d %+v", st, a)
	}
}

// One public channel per platform, as the backend's trigger keeps it: a
// channel made public demotes the public channels it overlaps.
func TestAdminOnePublicChannelPerPlatform(t *testing.T) {
	ts := startAPI(t)
	const chans = "/admin/apps/com.example.app/channels"
	ts.call(t, "PATCH", chans+"/production", map[string]any{"electron": false}, nil)
	ts.call(t, "POST", chans, map[string]any{"name": "desktop", "public": true, "ios": false, "android": false}, nil)
	ts.call(t, "POST", chans, map[string]any{"name": "mobile", "public": true, "electron": false}, nil)
	public := func() map[string]bool {
		out := map[string]bool{}
		for _, c := range ts.state.Snapshot().Apps[DemoAppID].Channels {
			if c.Policy.Public {
				out[c.Name] = true
			}
		}
		return out
	}
	if p := public(); !p["desktop"] || !p["mobile"] || p["production"] || len(p) != 2 {
		t.Fatalf("public channels %v, want desktop and mobile", p)
	}
	ts.call(t, "PATCH", chans+"/beta", map[string]any{"public": true, "android": false, "ios": false}, nil)
	if p := public(); !p["beta"] || p["desktop"] || !p["mobile"] {
		t.Fatalf("public channels %v, want beta and mobile", p)
	}
	var h []struct{ Event, Reason string }
	ts.call(t, "GET", chans+"/desktop/history", nil, &h)
	if n := len(h); n < 2 || h[n-1].Event != "channel_update" || !strings.Contains(h[n-1].Reason, "beta") {
		t.Errorf("history of the demoted channel: %+v", h)
	}
}
