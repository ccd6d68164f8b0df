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
