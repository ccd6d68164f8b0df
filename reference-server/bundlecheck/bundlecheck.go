// Package bundlecheck decides whether an uploaded bundle is one the
// capacitor-updater plugin can install safely, before the server offers it
// to any device: a bounded upload that is a real zip from its first byte,
// entries with safe relative names that are plain files or folders, a
// bounded total once inflated, sizes and checksums that hold, and an
// index.html where the plugin looks for it.
//
// The rules on names and on the layout apply to a zip's entries
// (CheckFiles) and to the files a manifest writes (CheckManifest) alike,
// but for where index.html may be.
//
// References are to Cap-go/capacitor-updater at e235d09 (v8.51.14: A/ =
// android/src/main/java/ee/forgr/capacitor_updater/CapgoUpdater.java, I/ =
// ios/Sources/CapacitorUpdaterPlugin/CapgoUpdater.swift) and Cap-go/CLI at
// aa5eb5e (C/).
package bundlecheck

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/otasim/otasim/appbundle"
)

// Rule names the rule a bundle breaks; it is the error code of the
// admin API's 400 (413 for RuleTooLarge).
type Rule string

// The rules, in the order they are checked.
const (
	RuleTooLarge     Rule = "bundle_too_large"      // the upload is over Limits.MaxUpload
	RuleNotZip       Rule = "bundle_not_zip"        // not a zip from its first byte (junk before it, or no zip at all)
	RuleEmpty        Rule = "bundle_empty"          // no file at all
	RuleTooManyFiles Rule = "bundle_too_many_files" // over Limits.MaxFiles entries
	RuleUnsafeName   Rule = "bundle_unsafe_name"    // an absolute, escaping, Windows or empty name
	RuleNotRegular   Rule = "bundle_not_regular"    // a symlink, device or other non-file entry
	RuleDuplicate    Rule = "bundle_duplicate_name" // two entries of one name
	RuleUnsupported  Rule = "bundle_unsupported"    // encrypted entries or a compression the plugin cannot read
	RuleTooLargeOpen Rule = "bundle_too_large_unzipped"
	RuleRatio        Rule = "bundle_compression_ratio"
	RuleNoIndex      Rule = "bundle_no_index_html" // no index.html where the plugin looks
	RuleCorrupt      Rule = "bundle_corrupt"       // sizes, checksums or headers that do not hold
)

// Refusal is a bundle that breaks a rule.
type Refusal struct {
	Rule   Rule
	Detail string
}

func (r *Refusal) Error() string { return string(r.Rule) + ": " + r.Detail }

func refuse(rule Rule, format string, args ...any) *Refusal {
	return &Refusal{Rule: rule, Detail: fmt.Sprintf(format, args...)}
}

// Limits bound what an upload may hold.
type Limits struct {
	// MaxUpload is the size of the upload itself (the zip).
	MaxUpload int64
	// MaxUnzipped is the total size of the files once extracted.
	MaxUnzipped int64
	// MaxRatio bounds the unzipped total over the zip's size, once the
	// total is over RatioFloor (a small bundle of text may compress well
	// beyond any sane ratio and harm nobody).
	MaxRatio   int64
	RatioFloor int64
	// MaxFiles is the number of entries.
	MaxFiles int
}

// Default limits: a web bundle is a few MB to a few tens of MB; a phone
// extracts it into its own storage.
const (
	DefaultMaxUpload   = 512 << 20
	DefaultMaxUnzipped = 1 << 30
	DefaultMaxRatio    = 100
	DefaultRatioFloor  = 1 << 20
	DefaultMaxFiles    = 100_000
)

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{MaxUpload: DefaultMaxUpload, MaxUnzipped: DefaultMaxUnzipped, MaxRatio: DefaultMaxRatio,
		RatioFloor: DefaultRatioFloor, MaxFiles: DefaultMaxFiles}
}

// Validate reports every problem of a set of limits.
func (l Limits) Validate() error {
	var errs []error
	if l.MaxUpload <= 0 || l.MaxUnzipped <= 0 || l.MaxRatio <= 0 || l.MaxFiles <= 0 {
		errs = append(errs, errors.New("bundlecheck: MaxUpload, MaxUnzipped, MaxRatio and MaxFiles must be positive"))
	}
	if l.RatioFloor < 0 {
		errs = append(errs, errors.New("bundlecheck: RatioFloor must not be negative"))
	}
	return errors.Join(errs...)
}

// CheckName checks that a file name stays inside the bundle's folder, as
// the plugin requires before it writes an entry (A/:290-312 and I/:137-159
// resolvePathInsideDirectory: no empty name, no backslash or NUL, nothing
// absolute, nothing that resolves outside the folder), with the rules of a
// manifest's paths (appbundle.CheckPath: no empty, "." or ".." segment at
// all). Folder names end with "/".
func CheckName(name string) error {
	if err := appbundle.CheckPath(strings.TrimSuffix(name, "/")); err != nil {
		return refuse(RuleUnsafeName, "entry %.200q: %v (the plugin refuses it: canonical_path_fail or windows_path_fail)", name, err)
	}
	return nil
}

// CheckFiles checks the names of a bundle's files and folders (folders end
// with "/"; a file's folders need no entry of their own): each name is
// safe, none appears twice or as both a file and a folder, and index.html
// is where the plugin looks for it.
func CheckFiles(names []string) error {
	kinds, err := checkLayout(names)
	if err != nil {
		return err
	}
	return checkIndex(kinds)
}

// CheckManifest checks the files a manifest writes on the device (each
// file's name without its .br suffix, appbundle.TargetName) with the rules
// of CheckFiles, but for index.html, which must be at the root: iOS writes
// a manifest's files straight into the bundle's folder
// (I/:1372-1376,1476 downloadManifest, resolveManifestTargetPath) and
// moves no single folder up as it does for a zip, so a bundle whose
// index.html is in a folder cannot be set there (I/:2610-2624).
func CheckManifest(targets []string) error {
	kinds, err := checkLayout(targets)
	if err != nil {
		return err
	}
	if dir, ok := kinds["index.html"]; ok && !dir {
		return nil
	}
	return refuse(RuleNoIndex, "the manifest writes no index.html at the root of the bundle, where iOS looks for it")
}

// checkLayout checks names as CheckFiles does, but for index.html, and
// returns each clean name with whether it is a folder.
func checkLayout(names []string) (map[string]bool, error) {
	if len(names) == 0 {
		return nil, refuse(RuleEmpty, "the bundle holds no file")
	}
	kinds := make(map[string]bool, len(names)) // clean name → is a folder
	files := 0
	for _, n := range names {
		if err := CheckName(n); err != nil {
			return nil, err
		}
		dir := strings.HasSuffix(n, "/")
		clean := path.Clean(n)
		if was, seen := kinds[clean]; seen && (!dir || !was) {
			return nil, refuse(RuleDuplicate, "entry %.200q appears twice (which copy a device keeps depends on its platform)", n)
		}
		kinds[clean] = dir
		if !dir {
			files++
		}
	}
	if files == 0 {
		return nil, refuse(RuleEmpty, "the bundle holds folders but no file")
	}
	for n := range kinds {
		// A file's folders must not be files.
		for p := path.Dir(n); p != "."; p = path.Dir(p) {
			if isDir, seen := kinds[p]; seen && !isDir {
				return nil, refuse(RuleDuplicate, "%.200q is both a file and the folder of %.200q", p, n)
			}
		}
	}
	return kinds, nil
}

// checkIndex applies the plugin's layout rule. Both platforms extract the
// zip, then, when the extracted folder holds one entry only and it is a
// folder (Android skips names starting with "__MACOSX" or "." when it
// counts, A/:161-164,378-399; iOS counts every entry, I/:752-768), use
// that folder as the bundle; a bundle without index.html at its root
// cannot be set (A/:1719-1729 bundleExists, I/:2610-2624). The CLI refuses
// to upload a folder without index.html at its root (C/src/bundle/zip.ts
// :97-105). So index.html must be at the root, or in the only top-level
// entry, a folder.
func checkIndex(kinds map[string]bool) error {
	if dir, ok := kinds["index.html"]; ok && !dir {
		return nil
	}
	tops := map[string]bool{}
	for n := range kinds {
		top, _, _ := strings.Cut(n, "/")
		tops[top] = true
	}
	if len(tops) == 1 {
		for top := range tops {
			if dir, ok := kinds[top+"/index.html"]; ok && !dir {
				return nil
			}
			return refuse(RuleNoIndex, "neither index.html nor %s/index.html is in the bundle", top)
		}
	}
	var real []string
	for top := range tops {
		if !strings.HasPrefix(top, "__MACOSX") && !strings.HasPrefix(top, ".") {
			real = append(real, top)
		}
	}
	if len(real) == 1 {
		if dir, ok := kinds[real[0]+"/index.html"]; ok && !dir {
			return refuse(RuleNoIndex, "index.html is in %s/, but the zip holds other top-level entries beside it "+
				"(such as __MACOSX): iOS then keeps the whole zip as the bundle and finds no index.html at its root", real[0])
		}
	}
	return refuse(RuleNoIndex, "no index.html at the root of the bundle, nor in a single top-level folder")
}
