// Package atomicfile writes a file whole or not at all: the content goes
// to a temporary file in the same folder, is synced, then renamed over the
// destination, so a reader never sees half a file.
package atomicfile

import (
	"bytes"
	"fmt"
	"io"

	"github.com/otasim/otasim/sim/results"
)

// Write calls fill with a writer; when fill succeeds the bytes land at
// path in one rename. On any error nothing is left behind.
func Write(path string, fill func(w io.Writer) error) error {
	var buf bytes.Buffer
	if err := fill(&buf); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteBytes(path, buf.Bytes())
}

// WriteBytes writes b to path atomically, as the run folder's JSON files
// are written (results.WriteFile).
func WriteBytes(path string, b []byte) error { return results.WriteFile(path, b) }
