package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/otasim/otasim/internal/memnet"
	"github.com/otasim/otasim/reference-server/refserver"
	"github.com/otasim/otasim/sim"
	"github.com/otasim/otasim/sim/admin"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/vclock"
)

// Transports to the in-process server.
const (
	transportMemory = "memory"
	transportTCP    = "tcp"
)

// memoryBase is the base URL of the in-process server over the in-memory
// transport. The .invalid name (RFC 2606) never resolves, so nothing
// reaches a real host should a connection bypass the in-memory dialer.
const memoryBase = "http://in-process.invalid"

// inProcessBounds let the in-process server take what the simulated fleet
// sends, as Capgo's backend does: it shares the CPU with the simulator
// (so its CPU guard would shed for the simulator's own work), and the
// workers of the run already bound the requests in flight.
func inProcessBounds() refserver.Bounds {
	return refserver.Bounds{NoCPUGuard: true, MaxInFlight: 1 << 20, StatsQueue: 1 << 24}
}

// inProcess starts the reference server with its database in the run
// folder and its clock on the run's virtual time, reached over transport:
// loopback TCP, or an in-memory listener (memnet) that the devices,
// the admin client and push sockets dial instead of the kernel. Either
// way the server is the same net/http server with the same handler,
// reading and writing the same bytes.
func inProcess(ctx context.Context, out, transport string, cfg *sim.Config) (func() error, error) {
	src := &vclock.Source{}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	var ln net.Listener
	var base string
	switch transport {
	case transportMemory:
		mem := memnet.Listen()
		ln, base, cfg.Dial = mem, memoryBase, mem.Dial
	default:
		tcp, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("start the reference server: %w", err)
		}
		ln, base = tcp, "http://"+tcp.Addr().String()
	}
	srv, err := refserver.New(refserver.Config{DBPath: filepath.Join(out, "server.db"), Now: src.Now, AdminToken: token,
		PublicURL: base, Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 10 * time.Second, Bounds: inProcessBounds()})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("start the reference server: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(sctx, ln) }()
	cfg.Endpoints = client.Endpoints{Updates: base + "/updates", Stats: base + "/stats", Channel: base + "/channel_self"}
	cfg.PushURL = "ws" + base[len("http"):] + "/push"
	cfg.Clock = src
	var hc *http.Client
	if cfg.Dial != nil {
		hc = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DialContext: cfg.Dial, Proxy: nil}}
	}
	ad, err := admin.New(base, token, hc)
	if err != nil {
		cancel()
		<-errc
		return nil, err
	}
	cfg.Admin = ad
	cfg.Server = results.ServerInfo{Kind: "in-process", Transport: transport, UpdatesURL: cfg.Endpoints.Updates,
		StatsURL: cfg.Endpoints.Stats, ChannelURL: cfg.Endpoints.Channel, AdminURL: base}
	return func() error {
		cancel()
		return <-errc
	}, nil
}

// describeServer is the run output's line on the server.
func describeServer(s *results.ServerInfo) string {
	if s.Kind != "in-process" {
		return s.UpdatesURL
	}
	if s.Transport == transportMemory {
		return "in-process over the in-memory transport (--transport tcp for loopback sockets)"
	}
	return "in-process on " + s.AdminURL + " (loopback TCP)"
}
