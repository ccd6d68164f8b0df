package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otasim/otasim/internal/ackcheck"
	"github.com/otasim/otasim/reference-server/refserver"
)

// TestLoadThenVerify runs a short load against the demo server over a real
// socket, stops the server, and checks that every acknowledged event is in
// its database; then that verify notices events that are missing.
func TestLoadThenVerify(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "stats.db")
	// The load runs in this process, beside the server: the CPU guard
	// would shed it whenever the test's machine is busy.
	srv, err := refserver.New(refserver.Config{DBPath: dbPath, AdminToken: "test-token-123", Bounds: refserver.Bounds{NoCPUGuard: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := refserver.SeedDemo(context.Background(), srv); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	res, err := Load(context.Background(), LoadConfig{URL: "http://" + ln.Addr().String(), AppID: refserver.DemoAppID,
		Duration: 300 * time.Millisecond, Conns: 4, Devices: 50, MinBatch: 10, MaxBatch: 50, MaxEvents: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if res.AckedN == 0 || res.FailedBatches != 0 || res.RefusedEvents != 0 {
		t.Fatalf("load: %s", res.Summary())
	}
	path := filepath.Join(t.TempDir(), "acked.txt")
	if err := ackcheck.Write(path, res.Acked); err != nil {
		t.Fatal(err)
	}
	acked, err := ackcheck.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ackcheck.Verify(context.Background(), dbPath, TimestampBase, acked)
	if err != nil {
		t.Fatal(err)
	}
	if v.Lost != 0 || v.Acked != res.AckedN || v.Rows != res.AckedN || v.Dupes != 0 {
		t.Fatalf("%s after %s", v.Summary(), res.Summary())
	}
	// Events acknowledged but never sent are reported lost.
	ghost := append(acked, Range{First: acked[len(acked)-1].First + 1_000_000, N: 3})
	v, err = ackcheck.Verify(context.Background(), dbPath, TimestampBase, ghost)
	if err != nil {
		t.Fatal(err)
	}
	if v.Lost != 3 {
		t.Fatalf("ghost events: %s", v.Summary())
	}
}

func TestLoadConfigValidate(t *testing.T) {
	ok := LoadConfig{URL: "http://127.0.0.1:1", AppID: "com.example.app", Duration: time.Second, Conns: 1,
		Devices: 1, MinBatch: 10, MaxBatch: 50, MaxEvents: 1}
	tests := []struct {
		name string
		edit func(*LoadConfig)
		want []string
	}{
		{"valid", func(*LoadConfig) {}, nil},
		{"remote host", func(c *LoadConfig) { c.URL = "http://example.com" }, []string{"not a loopback"}},
		{"every problem", func(c *LoadConfig) { c.URL = "ftp://x"; c.Conns = 0; c.MaxBatch = 5000; c.Duration = 0 },
			[]string{"http://host:port", "conns 0", "batch sizes", "duration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			if (err == nil) != (tt.want == nil) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v lacks %q", err, w)
				}
			}
		})
	}
}
