package appbundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// File is one file of a web bundle: its path inside the bundle (slash
// separated) and its bytes.
type File struct {
	Name string
	Data []byte
}

// MaxFiles bounds the files of one bundle (a web app has hundreds to a few
// thousand).
const MaxFiles = 100_000

// ReadDir reads every regular file under root (a web app's build output),
// sorted by name. Symbolic links are refused, as a path escape would be.
func ReadDir(root string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s: symbolic links are not bundled", p)
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(files) == MaxFiles {
			return fmt.Errorf("more than %d files", MaxFiles)
		}
		files = append(files, File{Name: filepath.ToSlash(rel), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("appbundle: read %s: %w", root, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("appbundle: %s holds no files", root)
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// ignoredInManifest are the names the CLI leaves out of a manifest when a
// file's path contains one (C/src/utils.ts:1228 generateManifest).
var ignoredInManifest = [...]string{".DS_Store", ".git", ".gitignore", "node_modules", "package-lock.json",
	"tsconfig.json", "tsconfig.app.json", "tsconfig.spec.json"}

// inManifest reports whether the CLI puts a file in the manifest: not an
// ignored name and not empty (C/src/utils.ts:1231-1240).
func inManifest(f File) bool {
	if len(f.Data) == 0 {
		return false
	}
	for _, s := range ignoredInManifest {
		if strings.Contains(f.Name, s) {
			return false
		}
	}
	return true
}

// CheckPath reports why a file name cannot be a bundle path: the
// backend's safe manifest path (utils/manifest_encoding.ts:16
// isSafeManifestPath) and the plugin's resolvePathInsideDirectory
// (A/CapgoUpdater.java:290): not empty, relative, no backslash or NUL, no
// empty, "." or ".." segment.
func CheckPath(name string) error {
	switch {
	case name == "":
		return errors.New("empty path")
	case len(name) > 1024:
		return fmt.Errorf("path %.80q… is longer than 1024 bytes", name)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("path %.80q is absolute", name)
	case strings.ContainsAny(name, "\\\x00"):
		return fmt.Errorf("path %.80q holds a backslash or NUL", name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("path %.80q has an empty, . or .. segment", name)
		}
	}
	return nil
}

// TargetName is where the plugin writes a manifest file: its name without
// a .br suffix (A/DownloadService.java:186, I/CapgoUpdater.swift:1472).
func TargetName(fileName string) string { return strings.TrimSuffix(fileName, ".br") }

// BaseName is the last segment of a path.
func BaseName(name string) string { return path.Base(name) }
