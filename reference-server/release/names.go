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

// ValidAppID reports whether an app id is reverse-domain: letters, digits,
// '_', '-' and '.', with at least one dot, no empty label, at most 128
// characters.
func ValidAppID(id string) bool {
	if len(id) == 0 || len(id) > MaxAppIDLen || !strings.Contains(id, ".") {
		return false
	}
	for label := range strings.SplitSeq(id, ".") {
		if label == "" || !safeChars(label) {
			return false
		}
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
