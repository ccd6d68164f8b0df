package main

import (
	"strings"
	"testing"
)

func TestServeUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"bad log level", []string{"otasim", "serve", "--log-level", "loud", "--db", t.TempDir() + "/x.db"}},
		{"bad log format", []string{"otasim", "serve", "--log-format", "xml", "--db", t.TempDir() + "/x.db"}},
		{"stray argument", []string{"otasim", "serve", "now"}},
		{"unknown flag", []string{"otasim", "serve", "--port", "1"}},
		{"bad public url", []string{"otasim", "serve", "--addr", "127.0.0.1:0", "--public-url", "ftp://x", "--db", t.TempDir() + "/x.db"}},
		{"short admin token", []string{"otasim", "serve", "--addr", "127.0.0.1:0", "--admin-token", "short", "--db", t.TempDir() + "/x.db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(tt.args); got != exitUsage {
				t.Errorf("exit code %d, want %d", got, exitUsage)
			}
		})
	}
	// The error names the flag and the minimum, not a Go field.
	msg, code := runCLIError(t, "serve", "--addr", "127.0.0.1:0", "--admin-token", "short", "--db", t.TempDir()+"/x.db")
	if code != exitUsage || !strings.Contains(msg, "--admin-token (or OTASIM_ADMIN_TOKEN) must be at least 8 characters, got 5") ||
		strings.Contains(msg, "AdminToken") {
		t.Errorf("exit %d: %s", code, msg)
	}
}
