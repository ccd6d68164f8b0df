// Package conformance holds the reference server's conformance suite: the
// replies the Capgo backend gives the capacitor-updater plugin, request by
// request, checked against the real server over real sockets in
// `go test ./...`.
//
// Each case cites the backend's file and line (and its test, where one
// exists) it comes from, at commit BackendCommit of Cap-go/capgo
// (supabase/functions/_backend/plugin_runtime/ and tests/). The cases are
// tables (updates_test.go, stats_test.go, channel_self_test.go); when the
// backend changes, read the new source, change the cases first, then the
// server. docs/conformance.md lists where the reference server deliberately
// differs.
package conformance

import "github.com/otasim/otasim/reference-server/release"

// BackendCommit is the commit of Cap-go/capgo the cases were read at.
const BackendCommit = release.BackendCommit
