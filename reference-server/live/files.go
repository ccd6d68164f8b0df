package live

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// TempBundlePath returns a fresh temporary file name in an app's bundle
// folder (app ids are validated, so the folder stays inside the store's).
func (s *State) TempBundlePath(appID string) (string, error) {
	dir := s.st.BundleDir(appID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("bundle folder: %w", err)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	return filepath.Join(dir, "tmp-"+hex.EncodeToString(rnd[:])+".zip"), nil
}

// PlaceBundle moves a finished file to its content-addressed name and
// returns that path.
func (s *State) PlaceBundle(tmp, appID, sha string) (string, error) {
	final := filepath.Join(s.st.BundleDir(appID), sha+".zip")
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("place bundle: %w", err)
	}
	return final, nil
}

// ObjectPath is where a stored manifest file lives: by its SHA-256, once
// per app however many bundles hold it.
func (s *State) ObjectPath(appID, object string) string {
	return filepath.Join(s.st.BundleDir(appID), "files", object)
}

// ObjectSize returns the size of a stored file; ok is false when there is
// none.
func (s *State) ObjectSize(appID, object string) (int64, bool) {
	fi, err := os.Stat(s.ObjectPath(appID, object))
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Size(), true
}

// PlaceObject moves a finished upload to its content-addressed name; a
// file already stored under it is kept (it holds the same bytes).
func (s *State) PlaceObject(tmp, appID, object string) error {
	final := s.ObjectPath(appID, object)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("place file: %w", err)
	}
	if _, ok := s.ObjectSize(appID, object); ok {
		return os.Remove(tmp)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("place file: %w", err)
	}
	return nil
}

// LinkBundle gives a stored file the content-addressed name of a bundle
// zip (a hard link, so that deleting the bundle leaves the stored file)
// and returns that path.
func (s *State) LinkBundle(appID, object string) (string, error) {
	final := filepath.Join(s.st.BundleDir(appID), object+".zip")
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	if err := os.Link(s.ObjectPath(appID, object), final); err != nil {
		return "", fmt.Errorf("link bundle: %w", err)
	}
	return final, nil
}
