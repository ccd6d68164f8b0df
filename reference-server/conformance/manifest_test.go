package conformance

import (
	"os"
	"strings"
	"testing"

	"github.com/otasim/otasim/appbundle"
)

// Per-file (manifest) and encrypted bundles, in their own app so that the
// main fixture's counts stay as they are.
const (
	deltaApp       = "com.example.delta"
	srcDownloadURL = "utils/downloadUrl.ts:87-106"
)

// deltaBuilt is the fixture's bundles, the same bytes every run: a plain
// per-file bundle with a zip, and its encrypted twin made with the
// committed test key and a fixed session key.
type deltaBuilt struct {
	plain, enc *appbundle.Built
	keyID      string
}

func buildDelta(t testing.TB) deltaBuilt {
	t.Helper()
	pemKey, err := os.ReadFile("testdata/app-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	key, err := appbundle.ParsePrivatePEM(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	files := []appbundle.File{
		{Name: "index.html", Data: []byte("<!doctype html><html><body>delta</body></html>")},
		{Name: "assets/app.js", Data: []byte(strings.Repeat("console.log('otasim delta');\n", 1000))},
	}
	plain, err := appbundle.Build(files, appbundle.Options{Manifest: true})
	if err != nil {
		t.Fatal(err)
	}
	sk := appbundle.SessionKey{Key: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, IV: [16]byte{42}}
	enc, err := appbundle.Build(files, appbundle.Options{Manifest: true, Key: key, Session: &sk})
	if err != nil {
		t.Fatal(err)
	}
	return deltaBuilt{plain: plain, enc: enc, keyID: enc.KeyID}
}

// manifestSpec is a built manifest as the admin API takes it.
func manifestSpec(b *appbundle.Built) []map[string]any {
	out := []map[string]any{}
	for i := range b.Manifest {
		e := &b.Manifest[i]
		out = append(out, map[string]any{"file_name": e.FileName, "file_hash": e.FileHash, "object": e.Object()})
	}
	return out
}

// manifestWant is the manifest an offer must carry.
func manifestWant(b *appbundle.Built) []map[string]any {
	out := []map[string]any{}
	for i := range b.Manifest {
		e := &b.Manifest[i]
		out = append(out, map[string]any{"file_name": e.FileName, "file_hash": e.FileHash,
			"download_url": urlSuffix("/cdn/" + deltaApp + "/files/" + e.Object())})
	}
	return out
}

// deltaFixture stores the files and creates the bundles and channels of
// the manifest and key_id cases.
func (e *env) deltaFixture(t *testing.T) {
	d := buildDelta(t)
	auth := map[string]string{"Authorization": "Bearer " + token}
	must := func(method, path string, body any) {
		t.Helper()
		if st, raw := e.send(t, method, path, "", body, auth); st >= 300 {
			t.Fatalf("fixture %s %s: %d %s", method, path, st, raw)
		}
	}
	a := "/admin/apps/" + deltaApp
	must("POST", "/admin/apps", map[string]any{"app_id": deltaApp})
	for _, b := range []*appbundle.Built{d.plain, d.enc} {
		must("PUT", a+"/files/"+appbundle.SHA256Hex(b.Zip), string(b.Zip))
		for i := range b.Manifest {
			must("PUT", a+"/files/"+b.Manifest[i].Object(), string(b.Manifest[i].Data))
		}
	}
	for _, b := range []map[string]any{
		{"name": "1.1.0", "zip": appbundle.SHA256Hex(d.plain.Zip), "manifest": manifestSpec(d.plain)},
		{"name": "1.2.0", "manifest": manifestSpec(d.plain)},
		{"name": "1.3.0", "zip": appbundle.SHA256Hex(d.enc.Zip), "manifest": manifestSpec(d.enc),
			"session_key": d.enc.SessionKey, "checksum": d.enc.Checksum, "key_id": d.keyID},
		{"name": "1.4.0", "zip": appbundle.SHA256Hex(d.enc.Zip), "session_key": d.enc.SessionKey, "key_id": d.keyID},
	} {
		must("POST", a+"/bundles", b)
	}
	for _, c := range []map[string]any{
		{"name": "production", "bundle": "1.1.0", "public": true},
		{"name": "manifestonly", "bundle": "1.2.0", "allow_self_set": true},
		{"name": "encrypted", "bundle": "1.3.0", "allow_self_set": true},
		{"name": "nochecksum", "bundle": "1.4.0", "allow_self_set": true},
	} {
		must("POST", a+"/channels", c)
	}
}

func manifestCases(t testing.TB) []tcase {
	d := buildDelta(t)
	var cases []tcase
	add := func(name, src string, b any, w want) {
		cases = append(cases, tcase{name: name, src: src, steps: one(w, body(b))})
	}
	dinfo := func(e ...edit) map[string]any { return info(append([]edit{set("app_id", deltaApp)}, e...)...) }
	via := func(channel string, e ...edit) map[string]any {
		return dinfo(append([]edit{set("defaultChannel", channel)}, e...)...)
	}
	withManifest := func(version string, b *appbundle.Built) want {
		return want{status: 200, fields: map[string]any{"version": version, "error": nil, "manifest": manifestWant(b)}}
	}
	noManifest := func(version string) want {
		return want{status: 200, fields: map[string]any{"version": version, "error": nil, "manifest": nil}}
	}
	zipURL := urlSuffix("/cdn/" + deltaApp + "/1.1.0.zip")

	add("a per-file bundle's offer carries its manifest", srcUpdate+":245-246, "+srcDownloadURL,
		dinfo(), want{status: 200, fields: map[string]any{"version": "1.1.0", "url": zipURL, "session_key": "",
			"checksum": d.plain.Checksum, "manifest": manifestWant(d.plain)}})
	for _, v := range []struct {
		plugin string
		yes    bool
	}{
		{"8.0.0", true}, {"7.0.35", true}, {"7.0.34", false}, {"6.25.0", true}, {"6.24.9", false},
		{"5.10.0", true}, {"5.9.9", false}, {"3.0.0", true},
	} {
		w := noManifest("1.1.0")
		if v.yes {
			w = withManifest("1.1.0", d.plain)
		}
		add("manifest for plugin "+v.plugin, srcUpdate+":213-225,245, utils/utils.ts:70-72,109",
			dinfo(set("plugin_version", v.plugin)), w)
	}
	add("a bundle with only a manifest has the backend's placeholder url", srcUpdate+":452,674-682",
		via("manifestonly"), want{status: 200, fields: map[string]any{"version": "1.2.0", "url": release404,
			"checksum": jsonNull{}, "session_key": "", "manifest": manifestWant(d.plain)}})
	add("a plugin without manifests gets only the placeholder", srcUpdate+":245,679-682",
		via("manifestonly", set("plugin_version", "7.0.34")), want{status: 200, fields: map[string]any{"version": "1.2.0",
			"url": release404, "manifest": nil}})
	add("an encrypted bundle's session key, checksum and file hashes", srcUpdate+":237-246, C/src/bundle/upload.ts:896-899",
		via("encrypted", set("key_id", d.keyID)), want{status: 200, fields: map[string]any{"version": "1.3.0",
			"session_key": d.enc.SessionKey, "checksum": d.enc.Checksum, "manifest": manifestWant(d.enc)}})
	add("an encrypted bundle offered to a device without a key", srcUpdate+":459-461 (only when both have a key_id)",
		via("encrypted"), want{status: 200, fields: map[string]any{"version": "1.3.0", "session_key": d.enc.SessionKey}})
	add("an encrypted bundle without a checksum", srcUpdate+":242",
		via("nochecksum", set("key_id", d.keyID)), want{status: 200, fields: map[string]any{"version": "1.4.0",
			"session_key": d.enc.SessionKey, "checksum": jsonNull{}, "manifest": nil}})
	add("key_id_mismatch with the bundle's and the device's key", srcUpdate+":458-468",
		via("encrypted", set("key_id", "MIIBCgKCAQEAdifferen")), want{status: 200, body: `{"error":"key_id_mismatch",` +
			`"message":"Device encryption key does not match bundle encryption key. The device may have a different public key than the one used to encrypt this bundle.",` +
			`"deviceKeyId":"MIIBCgKCAQEAdifferen","bundleKeyId":"` + d.keyID + `","kind":"blocked"}`})
	add("key_id_mismatch comes before up to date", srcUpdate+":461,471",
		via("encrypted", set("key_id", "other"), set("version_name", "1.3.0")), refusal("key_id_mismatch", nil))
	add("key ids are compared only above 8.40.7", srcUpdate+":460-461",
		via("encrypted", set("key_id", "other"), set("plugin_version", "8.40.7")), noManifest("1.3.0").withManifestOf(d.enc))
	add("key_id_mismatch from 8.40.8", srcUpdate+":461",
		via("encrypted", set("key_id", "other"), set("plugin_version", "8.40.8")), refusal("key_id_mismatch", map[string]any{"deviceKeyId": "other"}))
	add("a plain bundle has no key to mismatch", srcUpdate+":461",
		dinfo(set("key_id", "other")), withManifest("1.1.0", d.plain))
	return cases
}

const release404 = "https://404.capgo.app/no.zip"

// withManifestOf expects the manifest of b too.
func (w want) withManifestOf(b *appbundle.Built) want {
	w.fields["manifest"] = manifestWant(b)
	return w
}

// TestManifestFilesOnTheCDN fetches a per-file bundle's files as a device
// does, with the CDN's Range and ETag.
func TestManifestFilesOnTheCDN(t *testing.T) {
	e := startEnv(t)
	d := buildDelta(t)
	for i := range d.plain.Manifest {
		f := &d.plain.Manifest[i]
		st, raw, hdr := e.sendH(t, "GET", "/cdn/"+deltaApp+"/files/"+f.Object(), "", nil, nil)
		if st != 200 || string(raw) != string(f.Data) || hdr.Get("ETag") != `"`+f.Object()+`"` {
			t.Fatalf("%s: %d, %d bytes, ETag %s", f.FileName, st, len(raw), hdr.Get("ETag"))
		}
		st, raw, _ = e.sendH(t, "GET", "/cdn/"+deltaApp+"/files/"+f.Object(), "", nil, map[string]string{"Range": "bytes=3-"})
		if st != 206 || string(raw) != string(f.Data[3:]) {
			t.Fatalf("%s: range: %d", f.FileName, st)
		}
	}
	if st, _ := e.send(t, "GET", "/cdn/"+deltaApp+"/files/"+strings.Repeat("0", 64), "", nil, nil); st != 404 {
		t.Fatalf("an object never stored: %d", st)
	}
	if st, _ := e.send(t, "GET", "/cdn/"+deltaApp+"/files/..%2f..%2fetc", "", nil, nil); st != 400 && st != 404 {
		t.Fatalf("a path escape: %d", st)
	}
}
