package release

import (
	"strconv"
	"strings"
	"unicode"
)

// Version is a parsed semantic version. Build metadata is ignored, as in
// semver precedence.
type Version struct {
	Major, Minor, Patch uint64
	Pre                 []string
}

// ParseVersion parses a strict semantic version (MAJOR.MINOR.PATCH with an
// optional -prerelease and +build).
func ParseVersion(s string) (Version, bool) {
	if s == "" || len(s) > 256 {
		return Version{}, false
	}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if !validIdents(s[i+1:], false) {
			return Version{}, false
		}
		s = s[:i]
	}
	var v Version
	if i := strings.IndexByte(s, '-'); i >= 0 {
		pre := s[i+1:]
		if !validIdents(pre, true) {
			return Version{}, false
		}
		v.Pre = strings.Split(pre, ".")
		s = s[:i]
	}
	// Exactly three dot-separated numbers, cut without allocating: the
	// /updates path parses versions on every request.
	nums := [3]*uint64{&v.Major, &v.Minor, &v.Patch}
	for i, np := range nums {
		p := s
		if i < 2 {
			j := strings.IndexByte(s, '.')
			if j < 0 {
				return Version{}, false
			}
			p, s = s[:j], s[j+1:]
		} else if strings.IndexByte(s, '.') >= 0 {
			return Version{}, false
		}
		n, ok := parseNum(p)
		if !ok {
			return Version{}, false
		}
		*np = n
	}
	return v, true
}

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER, the largest
// version number @std/semver accepts.
const maxSafeInteger = 1<<53 - 1

// ParseSemver parses a version as the backend's @std/semver parse does: at
// most 256 characters, surrounding white space trimmed, an optional leading
// "v", then a strict semantic version whose numbers are at most 2^53-1.
func ParseSemver(s string) (Version, bool) {
	if UTF16Len(s) > 256 {
		return Version{}, false
	}
	s = strings.TrimFunc(s, jsSpace)
	s = strings.TrimPrefix(s, "v")
	v, ok := ParseVersion(s)
	if !ok || v.Major > maxSafeInteger || v.Minor > maxSafeInteger || v.Patch > maxSafeInteger {
		return Version{}, false
	}
	return v, true
}

// FixSemver completes a version the way the backend's fixSemver does
// (utils/utils.ts:56-67): "builtin" and "unknown" are 0.0.0, a version
// without a dot gets ".0.0", one with a single dot ".0". The dots are
// counted over the whole string, pre-release included.
func FixSemver(s string) string {
	if s == "builtin" || s == "unknown" {
		return "0.0.0"
	}
	switch strings.Count(s, ".") {
	case 0:
		return s + ".0.0"
	case 1:
		return s + ".0"
	}
	return s
}

// NormalizeBuild is what the backend makes of a device's version_build
// before deciding (utils/plugin_parser.ts:67-73): a plain MAJOR.MINOR.PATCH
// is kept as is; anything else is completed by FixSemver, parsed by
// ParseSemver and formatted back (so " v1.2" becomes "1.2.0"). ok is false
// when it is no version at all (the backend's semver_error).
func NormalizeBuild(s string) (string, bool) {
	if IsPlainSemver(s) {
		return s, true
	}
	fixed := FixSemver(s)
	if _, ok := ParseSemver(fixed); !ok {
		return "", false
	}
	// Every part @std/semver accepts is already in canonical form, so its
	// format() gives back the text it parsed.
	return strings.TrimPrefix(strings.TrimFunc(fixed, jsSpace), "v"), true
}

// CoerceVersion parses a device's native version after NormalizeBuild.
func CoerceVersion(s string) (Version, bool) {
	n, ok := NormalizeBuild(s)
	if !ok {
		return Version{}, false
	}
	return ParseSemver(n)
}

// IsPlainSemver matches the backend's commonSemverRegex
// /^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$/.
func IsPlainSemver(s string) bool {
	for i := range 3 {
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 0 || (j > 1 && s[0] == '0') {
			return false
		}
		s = s[j:]
		if i < 2 {
			if len(s) == 0 || s[0] != '.' {
				return false
			}
			s = s[1:]
		}
	}
	return s == ""
}

// jsSpace reports white space as JavaScript's String.prototype.trim
// removes it.
func jsSpace(r rune) bool {
	return r == '\uFEFF' || (r != '\u0085' && unicode.IsSpace(r))
}

// UTF16Len is the length of s as JavaScript counts it (UTF-16 code
// units), the unit of every length limit of the backend.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

func parseNum(p string) (uint64, bool) {
	if p == "" || (len(p) > 1 && p[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(p, 10, 64)
	return n, err == nil
}

func validIdents(s string, noLeadingZero bool) bool {
	if s == "" {
		return false
	}
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return false
		}
		numeric := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				numeric = false
			default:
				return false
			}
		}
		if noLeadingZero && numeric && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

// Compare returns -1, 0 or +1 as v is lower than, equal to or higher than w
// in semver precedence.
func (v Version) Compare(w Version) int {
	for _, d := range [3][2]uint64{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(v.Pre) == 0 && len(w.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(w.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(w.Pre); i++ {
		if c := compareIdent(v.Pre[i], w.Pre[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(v.Pre) < len(w.Pre):
		return -1
	case len(v.Pre) > len(w.Pre):
		return 1
	}
	return 0
}

func compareIdent(a, b string) int {
	an, aok := parseNum(a)
	bn, bok := parseNum(b)
	switch {
	case aok && bok:
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	case aok:
		return -1
	case bok:
		return 1
	}
	return strings.Compare(a, b)
}
