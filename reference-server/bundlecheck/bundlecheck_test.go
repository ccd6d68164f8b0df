package bundlecheck

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"strings"
	"testing"
)

// entry is one entry of a test zip.
type entry struct {
	name string
	body []byte
	mode fs.FileMode // 0: a plain file (or folder for a name ending in /)
	// raw: written with CreateRaw, with these header fields.
	raw    bool
	method uint16
	crc    uint32
	size   uint64 // recorded uncompressed size
	flags  uint16
}

func file(name, body string) entry { return entry{name: name, body: []byte(body)} }

// build writes a real zip archive of entries.
func build(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Flags: e.flags}
		if e.mode != 0 {
			fh.SetMode(e.mode)
		}
		var w io.Writer
		var err error
		if e.raw {
			fh.Method, fh.CRC32, fh.UncompressedSize64 = e.method, e.crc, e.size
			fh.CompressedSize64 = uint64(len(e.body))
			w, err = zw.CreateRaw(fh)
		} else {
			w, err = zw.CreateHeader(fh)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// deflated returns raw deflate data of n zero bytes and their CRC-32.
func deflated(t testing.TB, n int) ([]byte, uint32) {
	t.Helper()
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, 64<<10)
	h := crc32.NewIEEE()
	for left := n; left > 0; left -= len(zeros) {
		chunk := zeros[:min(left, len(zeros))]
		fw.Write(chunk)
		h.Write(chunk)
	}
	fw.Close()
	return buf.Bytes(), h.Sum32()
}

func zeros(n int) string { return string(make([]byte, n)) }

func TestCheckZip(t *testing.T) {
	index := file("index.html", "<html></html>")
	bomb, bombCRC := deflated(t, 8<<20)
	valid := build(t, index, file("assets/app.js", "console.log(1)"))
	// The local header of app.js names ../a.js; the central directory
	// still says assets/app.js.
	mismatch := bytes.Replace(valid, []byte("assets/app.js"), []byte("assets/../..a"), 1)
	cases := []struct {
		name string
		zip  []byte
		lim  func(*Limits)
		want Rule // "" = accepted
	}{
		{"index at the root", valid, nil, ""},
		{"index in the only top folder", build(t, file("dist/", ""), file("dist/index.html", "x"), file("dist/js/a.js", "y")), nil, ""},
		{"index in a top folder without its own entry", build(t, file("www/index.html", "x")), nil, ""},
		{"folder entries twice", build(t, file("a/", ""), file("a/", ""), index), nil, ""},
		{"zip slip", build(t, index, file("../../evil.sh", "rm -rf /")), nil, RuleUnsafeName},
		{"zip slip inside a folder", build(t, index, file("assets/../../evil.sh", "x")), nil, RuleUnsafeName},
		{"absolute path", build(t, index, file("/etc/cron.d/x", "* * * * * root sh")), nil, RuleUnsafeName},
		{"windows path", build(t, index, file("assets\\app.js", "x")), nil, RuleUnsafeName},
		{"symlink", build(t, index, entry{name: "link", body: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}), nil, RuleNotRegular},
		{"device", build(t, index, entry{name: "dev", mode: fs.ModeDevice | 0o600}), nil, RuleNotRegular},
		{"empty archive", build(t), nil, RuleEmpty},
		{"folders only", build(t, file("a/", ""), file("a/b/", "")), nil, RuleEmpty},
		{"junk before the archive", append([]byte("#!/bin/sh\nexit 0\n"), valid...), nil, RuleNotZip},
		{"no zip at all", []byte(strings.Repeat("not a zip ", 100)), nil, RuleNotZip},
		{"no index.html", build(t, file("main.js", "x"), file("style.css", "y")), nil, RuleNoIndex},
		{"index.html is a folder", build(t, file("index.html/", ""), file("index.html/a", "x")), nil, RuleNoIndex},
		{"index in a nested folder", build(t, file("a/b/index.html", "x")), nil, RuleNoIndex},
		{"index in a folder beside __MACOSX", build(t, file("dist/index.html", "x"), file("__MACOSX/dist/._index.html", "y")), nil, RuleNoIndex},
		{"index in one of two folders", build(t, file("a/index.html", "x"), file("b/c.js", "y")), nil, RuleNoIndex},
		{"duplicate file", build(t, index, file("a.js", "1"), file("a.js", "2")), nil, RuleDuplicate},
		{"file and folder of one name", build(t, index, file("a", "1"), file("a/b.js", "2")), nil, RuleDuplicate},
		{"too many files", build(t, index, file("a", "1"), file("b", "2")), func(l *Limits) { l.MaxFiles = 2 }, RuleTooManyFiles},
		{"bomb by ratio", build(t, index, entry{name: "zeros", body: bomb, raw: true, method: zip.Deflate, crc: bombCRC, size: 8 << 20}), nil, RuleRatio},
		{"bomb by total", build(t, index, file("a", zeros(4<<20))), func(l *Limits) { l.MaxUnzipped = 1 << 20 }, RuleTooLargeOpen},
		{"2 MB claiming 2 GiB", build(t, index, entry{name: "big", body: bomb, raw: true, method: zip.Deflate, crc: bombCRC, size: 2 << 30}), nil, RuleTooLargeOpen},
		{"lying size", build(t, index, entry{name: "small", body: bomb, raw: true, method: zip.Deflate, crc: bombCRC, size: 10}), nil, RuleCorrupt},
		{"wrong checksum", build(t, index, entry{name: "a", body: []byte("abc"), raw: true, method: zip.Store, crc: 1, size: 3}), nil, RuleCorrupt},
		{"local header names another file", mismatch, nil, RuleCorrupt},
		{"encrypted entry", build(t, index, entry{name: "a", body: []byte("xyz"), flags: 0x1}), nil, RuleUnsupported},
		{"unknown compression", build(t, index, entry{name: "a", body: []byte("xyz"), raw: true, method: 12, size: 3}), nil, RuleUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lim := DefaultLimits()
			if c.lim != nil {
				c.lim(&lim)
			}
			err := CheckZip(bytes.NewReader(c.zip), int64(len(c.zip)), lim)
			if got := ruleOf(t, err); got != c.want {
				t.Fatalf("rule %q, want %q (%v)", got, c.want, err)
			}
		})
	}
}

// ruleOf is the rule of a refusal, "" for nil; any other error fails.
func ruleOf(t *testing.T, err error) Rule {
	t.Helper()
	if err == nil {
		return ""
	}
	var r *Refusal
	if !errors.As(err, &r) {
		t.Fatalf("not a refusal: %v", err)
	}
	if r.Detail == "" {
		t.Fatalf("refusal %q without detail", r.Rule)
	}
	return r.Rule
}

func TestCheckZipOverlappingEntries(t *testing.T) {
	// Two central entries pointing at the same local entry (the
	// overlapping-file bomb): the second central record is a copy of the
	// first with another name.
	z := build(t, file("index.html", "<html></html>"), file("b.js", "x"))
	cd := bytes.LastIndex(z, []byte("PK\x01\x02"))
	first := bytes.Index(z, []byte("PK\x01\x02"))
	copy(z[cd+42:cd+46], z[first+42:first+46]) // the second's local header offset := the first's
	if got := ruleOf(t, CheckZip(bytes.NewReader(z), int64(len(z)), DefaultLimits())); got != RuleCorrupt {
		t.Fatalf("rule %q, want %q", got, RuleCorrupt)
	}
}

func TestUpload(t *testing.T) {
	valid := build(t, file("index.html", "<html></html>"))
	big := append(append([]byte{}, valid...), make([]byte, 1<<20)...)
	cases := []struct {
		name string
		body io.Reader
		max  int64
		want Rule
		// read: at most this many bytes may be read before the refusal.
		read int64
	}{
		{"a zip", bytes.NewReader(valid), 1 << 20, "", int64(len(valid))},
		{"no zip", io.MultiReader(strings.NewReader("MZ\x90\x00"), zeroReader{}), 1 << 30, RuleNotZip, 64 << 10},
		{"junk first", io.MultiReader(strings.NewReader("junk"), bytes.NewReader(valid)), 1 << 20, RuleNotZip, 64 << 10},
		{"empty zip", bytes.NewReader(build(t)), 1 << 20, RuleEmpty, 64 << 10},
		{"nothing", strings.NewReader(""), 1 << 20, RuleEmpty, 0},
		{"too short", strings.NewReader("PK"), 1 << 20, RuleNotZip, 2},
		{"over the limit", bytes.NewReader(big), 64 << 10, RuleTooLarge, 64<<10 + 32<<10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			counted := &countReader{r: c.body}
			n, err := io.Copy(io.Discard, Upload(counted, c.max))
			if got := ruleOf(t, err); got != c.want {
				t.Fatalf("rule %q, want %q (%v)", got, c.want, err)
			}
			if counted.n > c.read {
				t.Fatalf("read %d bytes (copied %d) before deciding, want at most %d", counted.n, n, c.read)
			}
		})
	}
}

// zeroReader never ends.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestCheckName(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"index.html", true}, {"a/b/c.js", true}, {"a/", true}, {"a..b/c", true}, {"./a", false}, {"a//b", false},
		{"", false}, {"/", false}, {"/a", false}, {"..", false}, {"../a", false}, {"a/../../b", false},
		{"a/..", false}, {"a\\b", false}, {"a\x00b", false},
	} {
		if err := CheckName(c.name); (err == nil) != c.ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

func TestCheckManifest(t *testing.T) {
	// A manifest lists files only, without folder entries; iOS writes them
	// into the bundle's folder as they are, so index.html must be at the
	// root, where a zip may have it in its only folder.
	for _, c := range []struct {
		names []string
		want  Rule // "": accepted
	}{
		{[]string{"index.html", "assets/a.js"}, ""},
		{[]string{"assets/a.js"}, RuleNoIndex},
		{[]string{"www/index.html", "www/a.js"}, RuleNoIndex},
		{nil, RuleEmpty},
		{[]string{"index.html", "../a.js"}, RuleUnsafeName},
		{[]string{"index.html", "a.js", "a.js"}, RuleDuplicate},
		{[]string{"index.html", "a", "a/b.js"}, RuleDuplicate},
	} {
		if err := CheckManifest(c.names); ruleOf(t, err) != c.want {
			t.Errorf("CheckManifest(%q) = %v, want rule %q", c.names, err, c.want)
		}
	}
	if err := CheckFiles([]string{"www/index.html", "www/a.js"}); err != nil {
		t.Errorf("a zip with index.html in its only folder: %v", err)
	}
}

// FuzzCheckZip feeds any bytes to the checks: they must refuse or accept,
// never panic, and never accept what archive/zip cannot read.
func FuzzCheckZip(f *testing.F) {
	f.Add(build(f, file("index.html", "x"), file("a/b.js", "y")))
	f.Add(build(f, file("../x", "y")))
	f.Add(build(f))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := DefaultLimits()
		lim.MaxUnzipped = 1 << 20
		err := CheckZip(bytes.NewReader(b), int64(len(b)), lim)
		var r *Refusal
		if err != nil && !errors.As(err, &r) {
			t.Fatalf("not a refusal: %v", err)
		}
		if err == nil {
			if _, zerr := zip.NewReader(bytes.NewReader(b), int64(len(b))); zerr != nil {
				t.Fatalf("accepted what archive/zip refuses: %v", zerr)
			}
		}
	})
}
