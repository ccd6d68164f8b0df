package main

import (
	"context"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// version is set at build time:
//
//	go build -ldflags "-X main.version=$(git describe --tags --always --dirty)"
//
// It is the one variable the linker writes; nothing else assigns it.
var version string

// buildVersion returns the injected version, else the module or VCS
// version recorded by the Go toolchain, else `git describe` of the working
// folder (for `go run` inside a checkout), else "devel".
func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty").Output()
	if err == nil {
		if v := strings.TrimSpace(string(out)); v != "" {
			return "devel-" + v
		}
	}
	return "devel"
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version of otasim",
		Action: func(c *cli.Context) error {
			_, err := c.App.Writer.Write([]byte(c.App.Version + "\n"))
			return err
		},
	}
}
