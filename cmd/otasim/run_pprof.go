package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/internal/pprofmux"
)

// servePprof serves the runtime's profiles at addr (--pprof-addr, a
// HOST:PORT that flagValueProblems checked) until the returned stop: a
// CPU profile, a goroutine dump or an execution trace of a window of a
// long run (curl -o run.trace 'http://ADDR/debug/pprof/trace?seconds=3';
// go tool trace run.trace), where --cpu-profile covers the whole run.
func servePprof(addr string, stderr io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, cli.Exit(fmt.Sprintf("--pprof-addr: %v", err), exitError)
	}
	srv := &http.Server{Handler: pprofmux.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stderr, "pprof: http://%s/debug/pprof/\n", ln.Addr())
	return func() { srv.Close() }, nil
}
