package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"time"

	"github.com/urfave/cli/v2"
)

// servePprof serves the runtime's profiles at addr (--pprof-addr, a
// HOST:PORT that flagValueProblems checked) until the returned stop: a
// CPU profile, a goroutine dump or an execution trace of a window of a
// long run (curl -o run.trace 'http://ADDR/debug/pprof/trace?seconds=3';
// go tool trace run.trace), where --cpu-profile covers the whole run. On
// a mux of its own: nothing in otasim serves http.DefaultServeMux, where
// the package also registers its handlers.
func servePprof(addr string, stderr io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, cli.Exit(fmt.Sprintf("--pprof-addr: %v", err), exitError)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", httppprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", httppprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", httppprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", httppprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", httppprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stderr, "pprof: http://%s/debug/pprof/\n", ln.Addr())
	return func() { srv.Close() }, nil
}
