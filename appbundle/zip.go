package appbundle

import (
	"archive/zip"
	"bytes"
	"fmt"
	"time"
)

// zipTime is every entry's timestamp, so that the bytes depend on the
// files only.
func zipTime() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// Zip archives files as the CLI's zipFile does (C/src/utils.ts:1263, an
// AdmZip of the whole folder, deflated): every file, in the given order.
func Zip(files []File) ([]byte, error) { return archive(files, zip.Deflate) }

// StoredZip archives files without compression, for bytes that do not
// compress (the simulator's pseudo-random files): the same archive a
// deflating zipper would fall back to.
func StoredZip(files []File) ([]byte, error) { return archive(files, zip.Store) }

func archive(files []File, method uint16) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		if err := CheckPath(f.Name); err != nil {
			return nil, fmt.Errorf("appbundle: zip: %w", err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method, Modified: zipTime()})
		if err != nil {
			return nil, fmt.Errorf("appbundle: zip %s: %w", f.Name, err)
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, fmt.Errorf("appbundle: zip %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("appbundle: zip: %w", err)
	}
	return buf.Bytes(), nil
}
