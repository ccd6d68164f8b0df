// Package bundlezip builds real zip archives of an exact requested size:
// an index.html and a padding file of pseudo-random bytes, stored without
// compression so the size is exact and the bytes behave like an already
// compressed web bundle. The bytes depend only on (size, seed).
package bundlezip

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// Names of the files inside every archive.
const (
	IndexName   = "index.html"
	PaddingName = "assets/padding.bin"
)

// modified is the fixed timestamp of every entry, so that the bytes do not
// depend on when they were built.
func modified() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// MaxSize keeps archives clear of zip64 (whose headers would change size)
// and of disk-filling requests.
const MaxSize = 1 << 31

// MinSize is the size of an archive with an empty padding file, the
// smallest size Write can produce.
func MinSize() int64 {
	var c counter
	// Writing to a counter cannot fail.
	_ = write(&c, 0, "")
	return c.n
}

// Write writes a zip archive of exactly size bytes to w, the same bytes for
// the same (size, seed).
func Write(w io.Writer, size int64, seed string) error {
	minSize := MinSize()
	if size < minSize || size > MaxSize {
		return fmt.Errorf("bundlezip: size %d is out of range [%d, %d]", size, minSize, int64(MaxSize))
	}
	return write(w, size-minSize, seed)
}

// WriteFile writes the archive of Write to path atomically (a temporary
// file in the same directory, then a rename) and returns the SHA-256 hex of
// its bytes.
func WriteFile(path string, size int64, seed string) (sha256hex string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".bundlezip-*")
	if err != nil {
		return "", fmt.Errorf("bundlezip: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 64<<10)
	if err := Write(bw, size, seed); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("bundlezip: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("bundlezip: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("bundlezip: close %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", fmt.Errorf("bundlezip: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// write writes an archive whose padding file holds padding bytes.
func write(w io.Writer, padding int64, seed string) error {
	key := sha256.Sum256([]byte(seed))
	zw := zip.NewWriter(w)
	index := fmt.Sprintf("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>otasim bundle</title>"+
		"<meta name=\"otasim-bundle\" content=\"%x\"></head>\n<body><p>otasim test bundle</p></body></html>\n", key)
	if err := add(zw, IndexName, func(fw io.Writer) error {
		_, err := io.WriteString(fw, index)
		return err
	}); err != nil {
		return err
	}
	if err := add(zw, PaddingName, func(fw io.Writer) error {
		_, err := io.CopyN(fw, rand.NewChaCha8(key), padding)
		return err
	}); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("bundlezip: %w", err)
	}
	return nil
}

// add stores one file; Store keeps every header the same length whatever
// the content, which makes the size exact.
func add(zw *zip.Writer, name string, body func(io.Writer) error) error {
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: modified()})
	if err != nil {
		return fmt.Errorf("bundlezip: %s: %w", name, err)
	}
	if err := body(fw); err != nil {
		return fmt.Errorf("bundlezip: %s: %w", name, err)
	}
	return nil
}

// counter is an io.Writer that only counts.
type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
