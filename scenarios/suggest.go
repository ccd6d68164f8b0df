package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// underSuggested reports whether path is, or is inside, a key that an
// unknown key was probably meant for: "fleet.devices: missing" adds
// nothing to "unknown key flet (did you mean fleet?)".
func (d *decoder) underSuggested(path string) bool {
	for p := path; p != ""; p = parentPath(p) {
		if _, written := d.positions[p]; d.suggested[p] && !written {
			return true
		}
	}
	return false
}

// unknownKey words the problem of a key the type does not have, with the
// closest known key as a suggestion (also returned, "" when none).
func unknownKey(key string, known []string) (msg, suggestion string) {
	best, bestDist := "", math.MaxInt
	for _, k := range known {
		if dist := editDistance(strings.ToLower(key), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	for _, k := range known {
		if len(key) >= 4 && strings.HasPrefix(k, strings.ToLower(key)) {
			best, bestDist = k, 0 // "corrupt" for "corrupt_download"
			break
		}
	}
	if best != "" && (bestDist <= 2 || bestDist <= len(key)/3) {
		return fmt.Sprintf("unknown key %s (did you mean %q?)", quoteShort(key), best), best
	}
	sorted := slices.Clone(known)
	slices.Sort(sorted)
	return fmt.Sprintf("unknown key %s (expected one of: %s)", quoteShort(key), strings.Join(sorted, ", ")), ""
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
