package cdn

import (
	"errors"
	"fmt"
	"strings"
)

// maxNameLen bounds app ids and versions, as the admin API does.
const maxNameLen = 128

// bundleExt is the extension of every bundle file name.
const bundleExt = ".zip"

// parsePath checks the path values of a CDN request and returns the app id
// and the version. Names are strict so that no value can step out of the
// bundle directory whatever the lookup does with it: app ids take
// [A-Za-z0-9_.-], versions [A-Za-z0-9_.+-] (semver with build metadata),
// neither starts with a dot nor holds "..".
func parsePath(appID, file string) (app, version string, err error) {
	version, ok := strings.CutSuffix(file, bundleExt)
	if !ok {
		return "", "", fmt.Errorf("file %q: want <version>%s", file, bundleExt)
	}
	var errs []error
	if err := checkName(appID, false); err != nil {
		errs = append(errs, fmt.Errorf("app id: %w", err))
	}
	if err := checkName(version, true); err != nil {
		errs = append(errs, fmt.Errorf("version: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return "", "", err
	}
	return appID, version, nil
}

// checkName applies the charset and shape rules of parsePath to one name.
func checkName(s string, plus bool) error {
	switch {
	case s == "":
		return errors.New("empty")
	case len(s) > maxNameLen:
		return fmt.Errorf("longer than %d bytes", maxNameLen)
	case s[0] == '.':
		return fmt.Errorf("%q starts with a dot", s)
	case strings.Contains(s, ".."):
		return fmt.Errorf("%q holds \"..\"", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == '_' || plus && c == '+'
		if !ok {
			return fmt.Errorf("%q holds the byte %#02x", s, c)
		}
	}
	return nil
}

// parseFilePath checks the path values of a manifest file request: the
// object is a lower-case hex SHA-256.
func parseFilePath(appID, object string) (app, obj string, err error) {
	var errs []error
	if err := checkName(appID, false); err != nil {
		errs = append(errs, fmt.Errorf("app id: %w", err))
	}
	if !IsObject(object) {
		errs = append(errs, fmt.Errorf("object %.80q: want 64 lower-case hex digits", object))
	}
	if err := errors.Join(errs...); err != nil {
		return "", "", err
	}
	return appID, object, nil
}

// IsObject reports whether s names a stored file: a lower-case hex
// SHA-256.
func IsObject(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
