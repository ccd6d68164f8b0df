package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/otasim/otasim/appbundle"
	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
)

// Round trip of the builder with a key made here: built, stored on the
// reference server, offered, downloaded by the devices' client, verified
// and decrypted; then each failure caused for real: a file corrupted by
// the CDN, a session key of another key pair.
func TestEncryptedRoundTrip(t *testing.T) {
	key, err := appbundle.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	files := []appbundle.File{
		{Name: "index.html", Data: []byte("<!doctype html><html></html>")},
		{Name: "assets/app.js", Data: bytes.Repeat([]byte("export const otasim = 1;\n"), 1000)},
	}
	b, err := appbundle.Build(files, appbundle.Options{Manifest: true, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	ts := startTestServer(t)
	base := ts.base
	ctx := context.Background()
	admin := func(method, path string, body []byte) { t.Helper(); ts.admin(t, method, path, body) }
	const app = "/admin/apps/com.example.enc"
	admin("POST", "/admin/apps", []byte(`{"app_id":"com.example.enc"}`))
	admin("PUT", app+"/files/"+appbundle.SHA256Hex(b.Zip), b.Zip)
	for _, e := range b.Manifest {
		admin("PUT", app+"/files/"+e.Object(), e.Data)
	}
	spec, _ := json.Marshal(b.Upload("1.1.0"))
	admin("POST", app+"/bundles", spec)
	admin("POST", app+"/channels", []byte(`{"name":"production","bundle":"1.1.0","public":true}`))

	cl, err := client.New(client.Config{Endpoints: client.Endpoints{Updates: base + "/updates", Stats: base + "/stats", Channel: base + "/channel_self"},
		Connections: 2, ResponseTimeout: 10 * time.Second, DownloadTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	info := protocol.Info{Platform: "ios", DeviceID: "c0000000-0000-4000-8000-000000000009", AppID: "com.example.enc",
		VersionBuild: "1.0.0", VersionName: "builtin", PluginVersion: protocol.PluginVersion, IsProd: true,
		KeyID: appbundle.KeyID(appbundle.PublicPEM(&key.PublicKey))}
	var rep protocol.UpdateReply
	if r := cl.Updates(ctx, &info, &rep); r.Err != nil || rep.SessionKey == "" || len(rep.Manifest) != 2 {
		t.Fatalf("offer: %v %+v", r.Err, rep)
	}
	pub := &key.PublicKey
	sk, err := appbundle.OpenSessionKey(rep.SessionKey, pub)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := appbundle.OpenChecksum(rep.Checksum, pub)
	if err != nil {
		t.Fatal(err)
	}
	if d := cl.Download(ctx, rep.URL, sum, client.DownloadOptions{Session: &sk}); !d.Complete || !d.ChecksumOK || d.DecryptFailed {
		t.Fatalf("encrypted zip: %+v", d)
	}
	specs := func() []client.FileSpec {
		var out []client.FileSpec
		for _, f := range rep.Manifest {
			h, err := appbundle.OpenChecksum(f.FileHash, pub)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, client.FileSpec{URL: f.DownloadURL, Hash: h, Brotli: strings.HasSuffix(f.FileName, ".br")})
		}
		return out
	}
	for i, r := range cl.DownloadFiles(ctx, specs(), client.FilesOptions{Session: &sk}) {
		if r.Outcome != client.FileOK || r.Bytes == 0 {
			t.Fatalf("file %d: %+v", i, r)
		}
	}
	// A session key of another key pair does not open; the right key with
	// the wrong AES key does not decrypt.
	other, _ := appbundle.GenerateKey()
	wrong, _ := appbundle.NewSessionKey()
	wire, _ := wrong.Wire(other)
	if _, err := appbundle.OpenSessionKey(wire, pub); err == nil {
		t.Fatal("another key pair's session key opened")
	}
	if d := cl.Download(ctx, rep.URL, sum, client.DownloadOptions{Session: &wrong}); d.ChecksumOK {
		t.Fatalf("a wrong session key passed: %+v", d)
	}
	for _, r := range cl.DownloadFiles(ctx, specs(), client.FilesOptions{Session: &wrong}) {
		if r.Outcome != client.FileDecrypt && r.Outcome != client.FileChecksum && r.Outcome != client.FileBrotli {
			t.Fatalf("a wrong session key: %+v", r)
		}
	}
	// The CDN corrupts every body: the files fail their checksum.
	admin("PUT", "/admin/faults", []byte(`{"cdn":{"corrupt_rate":1},"api":{}}`))
	plain, _ := appbundle.Build(files, appbundle.Options{Manifest: true})
	var fs []client.FileSpec
	for _, e := range plain.Manifest {
		admin("PUT", app+"/files/"+e.Object(), e.Data)
		fs = append(fs, client.FileSpec{URL: base + "/cdn/com.example.enc/files/" + e.Object(), Hash: e.FileHash,
			Brotli: strings.HasSuffix(e.FileName, ".br")})
	}
	for _, r := range cl.DownloadFiles(ctx, fs, client.FilesOptions{}) {
		if r.Outcome != client.FileChecksum && r.Outcome != client.FileBrotli {
			t.Fatalf("a corrupted file passed: %+v", r)
		}
	}
}
