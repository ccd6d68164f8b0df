package appbundle

import (
	"archive/zip"
	"bytes"

	"os"
	"path/filepath"
	"strings"
	"testing"
)

func appFiles() []File {
	js := []byte(strings.Repeat("function update(){return 'otasim';}\n", 2000)) // compresses
	return []File{
		{Name: "assets/app.js", Data: js},
		{Name: "assets/logo.bin", Data: bytes.Repeat([]byte{1, 2, 3}, 10)},
		{Name: "index.html", Data: []byte("<!doctype html><html></html>")},
		{Name: "node_modules/x.js", Data: []byte("x")},
		{Name: "empty.txt"},
	}
}

func TestBuildPlainManifest(t *testing.T) {
	b, err := Build(appFiles(), Options{Manifest: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.SessionKey != "" || b.KeyID != "" || b.Checksum != SHA256Hex(b.Zip) {
		t.Fatalf("plain bundle: session %q key %q checksum %s", b.SessionKey, b.KeyID, b.Checksum)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Zip), int64(len(b.Zip)))
	if err != nil || len(zr.File) != 5 {
		t.Fatalf("zip: %v, %d files (the CLI zips the whole folder)", err, len(zr.File))
	}
	names := map[string]Entry{}
	for _, e := range b.Manifest {
		names[e.FileName] = e
	}
	if len(b.Manifest) != 3 {
		t.Fatalf("manifest %v: want app.js.br, logo.bin, index.html (node_modules and empty files are left out)", names)
	}
	js, ok := names["assets/app.js.br"]
	if !ok || js.Size != int64(len(appFiles()[0].Data)) || len(js.Data) >= len(appFiles()[0].Data)/10 {
		t.Fatalf("app.js: %+v", js.FileName)
	}
	var out bytes.Buffer
	if err := Decompress(&out, bytes.NewReader(js.Data)); err != nil || SHA256Hex(out.Bytes()) != js.FileHash {
		t.Fatalf("brotli: %v", err)
	}
	if e := names["assets/logo.bin"]; e.FileHash != SHA256Hex(e.Data) {
		t.Fatal("a file under 8 KiB is stored as it is")
	}
}

func TestBuildEncryptedRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := &k.PublicKey
	b, err := Build(appFiles(), Options{Manifest: true, Key: k})
	if err != nil {
		t.Fatal(err)
	}
	if b.KeyID != KeyID(PublicPEM(pub)) || len(b.KeyID) != 20 {
		t.Fatalf("key id %q", b.KeyID)
	}
	sk, err := OpenSessionKey(b.SessionKey, pub)
	if err != nil {
		t.Fatal(err)
	}
	plainZip, err := sk.Decrypt(b.Zip)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := OpenChecksum(b.Checksum, pub)
	if err != nil || sum != SHA256Hex(plainZip) {
		t.Fatalf("checksum %s, %v; the plain zip's is %s", sum, err, SHA256Hex(plainZip))
	}
	for _, e := range b.Manifest {
		hash, err := OpenChecksum(e.FileHash, pub)
		if err != nil {
			t.Fatal(err)
		}
		data, err := sk.Decrypt(e.Data)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.FileName, ".br") {
			var out bytes.Buffer
			if err := Decompress(&out, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			data = out.Bytes()
		}
		if SHA256Hex(data) != hash {
			t.Fatalf("%s: hash mismatch", e.FileName)
		}
	}
}

func TestBuildRefusesWhatTheCLIRefuses(t *testing.T) {
	for _, f := range []File{
		{Name: "a b.js", Data: []byte("x")},
		{Name: "../escape.js", Data: []byte("x")},
		{Name: "/abs.js", Data: []byte("x")},
		{Name: `win\path.js`, Data: []byte("x")},
		{Name: "a//b.js", Data: []byte("x")},
	} {
		if _, err := Build([]File{f}, Options{Manifest: true}); err == nil {
			t.Errorf("%q was built", f.Name)
		}
	}
	big := []byte(strings.Repeat("a", 10_000))
	if _, err := Build([]File{{Name: "x.js", Data: big}, {Name: "x.js.br", Data: []byte("tiny")}}, Options{Manifest: true}); err == nil {
		t.Error("x.js and x.js.br were both built: the device writes both to x.js")
	}
}

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	for _, f := range appFiles() {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := ReadDir(dir)
	if err != nil || len(files) != 5 || files[0].Name != "assets/app.js" {
		t.Fatalf("ReadDir: %v %d", err, len(files))
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err == nil {
		if _, err := ReadDir(dir); err == nil {
			t.Error("a symbolic link was read")
		}
	}
	if _, err := ReadDir(t.TempDir()); err == nil {
		t.Error("an empty folder was read")
	}

}
