package admin

import (
	"bytes"
	"strings"
	"testing"

	"github.com/otasim/otasim/appbundle"
)

// Per-file bundle uploads: files stored once by content hash, manifests
// validated (paths, hashes, brotli), encrypted bundles with their session
// key and checksum.
func TestAdminManifestUpload(t *testing.T) {
	ts := startAPI(t)
	const app = "/admin/apps/com.example.app"
	files := []appbundle.File{
		{Name: "index.html", Data: []byte("<!doctype html><html></html>")},
		{Name: "assets/app.js", Data: bytes.Repeat([]byte("let a = 'otasim';\n"), 2000)},
	}
	b, err := appbundle.Build(files, appbundle.Options{Manifest: true})
	if err != nil {
		t.Fatal(err)
	}
	put := func(data []byte) int {
		return ts.call(t, "PUT", app+"/files/"+appbundle.SHA256Hex(data), string(data), nil)
	}
	for i := range b.Manifest {
		if st := put(b.Manifest[i].Data); st != 201 {
			t.Fatalf("put %s: %d", b.Manifest[i].FileName, st)
		}
		if st := put(b.Manifest[i].Data); st != 200 {
			t.Fatalf("put %s again: %d (stored once)", b.Manifest[i].FileName, st)
		}
	}
	if st := ts.call(t, "GET", app+"/files/"+b.Manifest[0].Object(), nil, nil); st != 200 {
		t.Fatalf("get a stored file: %d", st)
	}
	if st := ts.call(t, "GET", app+"/files/"+strings.Repeat("a", 64), nil, nil); st != 404 {
		t.Fatalf("get a file never stored: %d", st)
	}
	if st := ts.call(t, "PUT", app+"/files/"+strings.Repeat("a", 64), "other bytes", nil); st != 400 {
		t.Fatalf("bytes whose hash is not the path's: %d", st)
	}
	spec := func(e appbundle.Entry) map[string]any {
		return map[string]any{"file_name": e.FileName, "file_hash": e.FileHash, "object": e.Object()}
	}
	var manifest []any
	for _, e := range b.Manifest {
		manifest = append(manifest, spec(e))
	}
	var got bundleJSON
	if st := ts.call(t, "POST", app+"/bundles", map[string]any{"name": "3.0.0", "size": 4096, "manifest": manifest}, &got); st != 201 {
		t.Fatalf("create: %d", st)
	}
	if got.ManifestFiles != 2 || got.ManifestBytes == 0 || got.Size != 4096 {
		t.Fatalf("bundle %+v", got)
	}
	br := b.Manifest[1]
	if !strings.HasSuffix(br.FileName, ".br") {
		t.Fatalf("app.js was not compressed: %s", br.FileName)
	}
	plain := b.Manifest[0]
	for name, bad := range map[string][]any{
		"escape":        {map[string]any{"file_name": "../x.js", "file_hash": plain.FileHash, "object": plain.Object()}},
		"absolute":      {map[string]any{"file_name": "/x.js", "file_hash": plain.FileHash, "object": plain.Object()}},
		"backslash":     {map[string]any{"file_name": `a\x.js`, "file_hash": plain.FileHash, "object": plain.Object()}},
		"wrong hash":    {map[string]any{"file_name": "index.html", "file_hash": br.FileHash, "object": plain.Object()}},
		"br wrong hash": {map[string]any{"file_name": br.FileName, "file_hash": plain.FileHash, "object": br.Object()}},
		"br not brotli": {map[string]any{"file_name": "index.html.br", "file_hash": plain.FileHash, "object": plain.Object()}},
		"not stored":    {map[string]any{"file_name": "x.js", "file_hash": strings.Repeat("b", 64), "object": strings.Repeat("b", 64)}},
		"duplicate":     {spec(plain), map[string]any{"file_name": "index.html.br", "file_hash": plain.FileHash, "object": plain.Object()}},
	} {
		if st := ts.call(t, "POST", app+"/bundles", map[string]any{"name": "3.1.0", "manifest": bad}, nil); st != 400 {
			t.Errorf("%s: %d, want 400", name, st)
		}
	}
	// The layout rules of an uploaded zip, each refusal naming its rule.
	for name, tc := range map[string]struct {
		manifest []any
		code     string
	}{
		"no index.html": {[]any{spec(br)}, "bundle_no_index_html"},
		"index.html in a folder": {[]any{map[string]any{"file_name": "www/index.html", "file_hash": plain.FileHash, "object": plain.Object()}},
			"bundle_no_index_html"},
		"a file that is a folder": {[]any{spec(plain), map[string]any{"file_name": "index.html/x.html", "file_hash": plain.FileHash, "object": plain.Object()}},
			"bundle_duplicate_name"},
	} {
		st, raw := do(t, "POST", ts.url+app+"/bundles", map[string]any{"name": "3.1.0", "manifest": tc.manifest}, "Authorization", "Bearer "+testToken)
		if e := errorShape(t, raw); st != 400 || e.Error != tc.code {
			t.Errorf("%s: %d %q, want 400 %s", name, st, e.Error, tc.code)
		}
	}
	for name, bad := range map[string]map[string]any{
		"manifest with external_url": {"name": "3.1.0", "external_url": "https://x.example/a.zip", "manifest": manifest},
		"checksum without key":       {"name": "3.1.0", "size": 4096, "checksum": "ab"},
		"session key not iv:key":     {"name": "3.1.0", "size": 4096, "session_key": "nope"},
		"zip never stored":           {"name": "3.1.0", "zip": strings.Repeat("c", 64)},
		"zip that is not a zip":      {"name": "3.1.0", "zip": plain.Object()},
		"plain hashes when encrypted": {"name": "3.1.0", "manifest": manifest,
			"session_key": "AAAAAAAAAAAAAAAAAAAAAA==:AAAA"},
	} {
		if st := ts.call(t, "POST", app+"/bundles", bad, nil); st != 400 {
			t.Errorf("%s: %d, want 400", name, st)
		}
	}

	k, err := appbundle.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := appbundle.Build(files, appbundle.Options{Manifest: true, Key: k})
	if err != nil {
		t.Fatal(err)
	}
	st := ts.call(t, "PUT", app+"/bundles/3.2.0?session_key="+queryEscape(enc.SessionKey)+"&checksum="+enc.Checksum+"&key_id="+queryEscape(enc.KeyID), string(enc.Zip), &got)
	if st != 201 || got.SessionKey != enc.SessionKey || got.Checksum != enc.Checksum || got.KeyID != enc.KeyID {
		t.Fatalf("encrypted upload: %d %+v", st, got)
	}
	if st := ts.call(t, "PUT", app+"/bundles/3.3.0", string(enc.Zip), nil); st != 400 {
		t.Fatalf("an encrypted zip without its session key: %d", st)
	}
}

func queryEscape(s string) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D", ":", "%3A").Replace(s)
}
