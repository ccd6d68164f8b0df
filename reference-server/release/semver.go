package release

import (
	"strconv"
	"strings"
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

// CoerceVersion parses a native version as the backend does: a leading "v"
// is dropped and a missing minor or patch is read as 0 ("2" is 2.0.0).
func CoerceVersion(s string) (Version, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	core, rest := s, ""
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		core, rest = s[:i], s[i:]
	}
	switch strings.Count(core, ".") {
	case 0:
		core += ".0.0"
	case 1:
		core += ".0"
	}
	return ParseVersion(core + rest)
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
