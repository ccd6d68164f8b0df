package html

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EChartsVersion is the ECharts build go-echarts v2.6.7 targets; the
// Justfile's echarts recipe installs it into CacheRelPath.
const EChartsVersion = "5.4.3"

// CacheRelPath is where `just echarts` (npm install --prefix .cache/echarts
// echarts@5.4.3) leaves the build, relative to the project folder.
const CacheRelPath = ".cache/echarts/node_modules/echarts/dist/echarts.min.js"

// DefaultAssetsHost is go-echarts' asset host, the fallback when no local
// ECharts build is found (the report then needs the network to draw).
const DefaultAssetsHost = "https://go-echarts.github.io/go-echarts-assets/assets/"

// LocateECharts finds the ECharts build to inline. An explicit path (a
// flag or an environment variable) must exist; otherwise CacheRelPath is
// tried under each of dirs in order. It returns "" and no error when
// nothing is found: the caller then falls back to the asset host and says
// so.
func LocateECharts(explicit string, dirs ...string) (string, error) {
	if explicit != "" {
		if err := checkFile(explicit); err != nil {
			return "", fmt.Errorf("echarts build: %w", err)
		}
		return explicit, nil
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, CacheRelPath)
		if checkFile(p) == nil {
			return p, nil
		}
	}
	return "", nil
}

func checkFile(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "open", Path: p, Err: errors.New("not a regular file")}
	}
	if fi.Size() == 0 {
		return &fs.PathError{Op: "open", Path: p, Err: errors.New("empty file")}
	}
	return nil
}

// ReadECharts reads the build found by LocateECharts ("" gives nil: use the
// asset host).
func ReadECharts(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("echarts build: %w", err)
	}
	return b, nil
}
