package release

import (
	"errors"
	"fmt"
	"strings"

	"github.com/otasim/otasim/protocol"
)

// Name limits. They also keep every name safe as a path component.
const (
	MaxAppIDLen   = 128
	MaxChannelLen = 64
	MaxBundleLen  = 64
)

// MatchesAppID reports whether an id matches the backend's reverseDomainRegex
// /^[a-z0-9]+(\.[\w-]+)+$/i (utils/utils.ts:17): a first label of letters
// and digits, then at least one more label of letters, digits, '_' and '-'.
func MatchesAppID(id string) bool {
	first, rest, ok := strings.Cut(id, ".")
	if !ok || first == "" || !alnum(first, false) {
		return false
	}
	for label := range strings.SplitSeq(rest, ".") {
		if label == "" || !alnum(label, true) {
			return false
		}
	}
	return true
}

// ValidAppID reports whether an app id may be registered: it matches the
// backend's pattern and has at most 128 characters (which also keeps it
// safe as a folder name).
func ValidAppID(id string) bool { return len(id) <= MaxAppIDLen && MatchesAppID(id) }

// ValidDeviceID reports whether a device id matches the backend's
// deviceIdRegex (utils/utils.ts:22): a UUID, either case.
func ValidDeviceID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func alnum(s string, wordOrHyphen bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || wordOrHyphen && (c == '_' || c == '-') {
			continue
		}
		return false
	}
	return true
}

// ValidChannelName reports whether a channel name is 1 to 64 characters of
// letters, digits, '_', '-' and '.', and not a dot path.
func ValidChannelName(n string) bool {
	return n != "" && len(n) <= MaxChannelLen && safeChars(n) && n != "." && n != ".."
}

// ValidBundleName reports whether a bundle name is a semantic version or
// "builtin".
func ValidBundleName(n string) bool {
	if n == protocol.Builtin {
		return true
	}
	_, ok := ParseVersion(n)
	return ok && len(n) <= MaxBundleLen
}

func safeChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Validate reports every problem of a channel policy at once.
func (p Policy) Validate() error {
	switch p.DisableAutoUpdate {
	case DisableNone, DisableMajor, DisableMinor, DisablePatch, DisableVersionNumber:
		return nil
	}
	return fmt.Errorf("disable_auto_update must be none, major, minor, patch or version_number, got %q", p.DisableAutoUpdate)
}

// ValidatePercent checks a rollout percentage in basis points.
func ValidatePercent(bp int) error {
	if bp < 0 || bp > MaxPercentBP {
		return errors.New("percent_bp must be between 0 and 10000")
	}
	return nil
}
