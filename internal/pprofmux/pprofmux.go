// Package pprofmux serves the Go runtime's profiles (net/http/pprof) on
// a mux of their own, for a listener that serves nothing else: nothing in
// otasim serves http.DefaultServeMux, where net/http/pprof also
// registers its handlers.
package pprofmux

import (
	"net/http"
	"net/http/pprof"
)

// Handler serves /debug/pprof/: the index and named profiles, a CPU
// profile (profile?seconds=N), an execution trace (trace?seconds=N), the
// command line and symbols.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
