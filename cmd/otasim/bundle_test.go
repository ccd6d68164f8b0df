package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otasim/otasim/protocol"
)

// The builder's output, uploaded as README.md shows, is what the reference
// server offers devices: the manifest, the session key and the checksum.
func TestBundleBuildUploads(t *testing.T) {
	dir := t.TempDir()
	dist := filepath.Join(dir, "dist")
	if err := os.MkdirAll(filepath.Join(dist, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dist, "index.html"), []byte("<!doctype html><html></html>"), 0o644)
	os.WriteFile(filepath.Join(dist, "assets", "app.js"), bytes.Repeat([]byte("console.log('otasim');\n"), 1000), 0o644)
	key := filepath.Join(dir, "key")
	var out, errOut bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &errOut
	if err := app.Run([]string{"otasim", "bundle", "keygen", "--out", key}); err != nil {
		t.Fatalf("keygen: %v %s", err, errOut.String())
	}
	if got := run([]string{"otasim", "bundle", "keygen", "--out", key}); got != exitError {
		t.Fatalf("keygen over existing keys: exit %d", got)
	}
	zipPath, manifest := filepath.Join(dir, "b.zip"), filepath.Join(dir, "b.json")
	if err := app.Run([]string{"otasim", "bundle", "build", "--out", zipPath, "--manifest", manifest,
		"--encrypt", "--key", key, "--name", "1.2.0", dist}); err != nil {
		t.Fatalf("build: %v %s", err, errOut.String())
	}
	for _, bad := range [][]string{
		{"otasim", "bundle", "build", "--out", zipPath},
		{"otasim", "bundle", "build", "--out", zipPath, "--key", key, dist},
	} {
		if got := run(bad); got != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad, got, exitUsage)
		}
	}

	ts := startTestServer(t)
	base := ts.base
	call := func(method, path string, body []byte) { ts.admin(t, method, path, body) }
	const a = "/admin/apps/com.example.built"
	call("POST", "/admin/apps", []byte(`{"app_id":"com.example.built"}`))
	entries, _ := os.ReadDir(filepath.Join(dir, "b.files"))
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, "b.files", e.Name()))
		call("PUT", a+"/files/"+e.Name(), data)
	}
	spec, _ := os.ReadFile(manifest)
	call("POST", a+"/bundles", spec)
	call("POST", a+"/channels", []byte(`{"name":"production","bundle":"1.2.0","public":true}`))
	info, _ := json.Marshal(protocol.Info{Platform: "android", DeviceID: "c0000000-0000-4000-8000-000000000001",
		AppID: "com.example.built", VersionBuild: "1.0.0", VersionName: "builtin", PluginVersion: protocol.PluginVersion, IsProd: true})
	resp, err := http.Post(base+"/updates", "application/json", bytes.NewReader(info))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep protocol.UpdateReply
	json.NewDecoder(resp.Body).Decode(&rep)
	var u struct{ SessionKey, Checksum string }
	json.Unmarshal(spec, &struct {
		SessionKey *string `json:"session_key"`
		Checksum   *string `json:"checksum"`
	}{&u.SessionKey, &u.Checksum})
	if rep.Version != "1.2.0" || rep.SessionKey != u.SessionKey || rep.Checksum != u.Checksum || len(rep.Manifest) != 2 ||
		!strings.HasSuffix(rep.Manifest[0].FileName, ".br") {
		t.Fatalf("offer %+v", rep)
	}
}
