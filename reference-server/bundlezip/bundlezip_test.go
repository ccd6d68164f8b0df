package bundlezip

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// open checks that b is a valid zip holding index.html and the padding
// file, reading every entry in full so that CRCs are verified.
func open(t *testing.T, b []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("zip.NewReader: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		if uint64(n) != f.UncompressedSize64 {
			t.Fatalf("%s: read %d bytes, header says %d", f.Name, n, f.UncompressedSize64)
		}
	}
	if got := strings.Join(names, ","); got != IndexName+","+PaddingName {
		t.Fatalf("entries = %s", got)
	}
}

func TestWriteSizes(t *testing.T) {
	m := MinSize()
	if m <= 0 || m > 1024 {
		t.Fatalf("MinSize() = %d, want a small positive size", m)
	}
	for _, size := range []int64{m, m + 1, m + 2, 1000, 4096, 65535, 65536, 1 << 20, 1_000_003, 5_000_000} {
		var buf bytes.Buffer
		if err := Write(&buf, size, "com.example.app/1.2.0"); err != nil {
			t.Fatalf("Write(%d): %v", size, err)
		}
		if int64(buf.Len()) != size {
			t.Fatalf("Write(%d) wrote %d bytes", size, buf.Len())
		}
		open(t, buf.Bytes())
	}
}

func TestWriteTooSmallOrLarge(t *testing.T) {
	for _, size := range []int64{-1, 0, MinSize() - 1, MaxSize + 1} {
		err := Write(io.Discard, size, "s")
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("Write(%d) = %v, want an out of range error", size, err)
		}
	}
}

func TestWriteDeterministic(t *testing.T) {
	gen := func(size int64, seed string) []byte {
		var buf bytes.Buffer
		if err := Write(&buf, size, seed); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := gen(200_000, "a"), gen(200_000, "a")
	if !bytes.Equal(a, b) {
		t.Fatal("same (size, seed) gave different bytes")
	}
	if bytes.Equal(a, gen(200_000, "b")) {
		t.Fatal("different seeds gave the same bytes")
	}
	// The padding is incompressible like a real bundle's assets, not zeros.
	if bytes.Count(a, []byte{0}) > len(a)/50 {
		t.Errorf("%d zero bytes out of %d: the padding looks compressible", bytes.Count(a, []byte{0}), len(a))
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "1.0.0.zip")
	sum, err := WriteFile(path, 300_000, "seed")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 300_000 {
		t.Fatalf("file has %d bytes", len(b))
	}
	h := sha256.Sum256(b)
	if got := hex.EncodeToString(h[:]); got != sum {
		t.Fatalf("WriteFile returned %s, the file hashes to %s", sum, got)
	}
	open(t, b)
	// A failed write leaves neither the target nor a temporary file.
	if _, err := WriteFile(filepath.Join(dir, "bad.zip"), 1, "seed"); err == nil {
		t.Fatal("WriteFile with a too small size succeeded")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries after a failed write, want 1", len(entries))
	}
	if _, err := WriteFile(filepath.Join(dir, "missing", "x.zip"), 300_000, "seed"); err == nil {
		t.Fatal("WriteFile into a missing directory succeeded")
	}
}

func FuzzWrite(f *testing.F) {
	f.Add(int64(0), "")
	f.Add(int64(1), "com.example.app")
	f.Add(int64(70_000), "\x00\xff")
	f.Add(int64(-5), "x")
	f.Fuzz(func(t *testing.T, extra int64, seed string) {
		size := MinSize() + extra%200_000
		var buf bytes.Buffer
		err := Write(&buf, size, seed)
		if size < MinSize() {
			if err == nil {
				t.Fatalf("Write(%d) below the minimum succeeded", size)
			}
			return
		}
		if err != nil {
			t.Fatalf("Write(%d, %q): %v", size, seed, err)
		}
		if int64(buf.Len()) != size {
			t.Fatalf("Write(%d) wrote %d bytes", size, buf.Len())
		}
		open(t, buf.Bytes())
	})
}
