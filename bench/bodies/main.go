// Command bodies prints the POST /updates bodies the load profile of a
// scenario sends, one JSON object a line, in the order otasim sends them
// (device 0, 1, 2, ...), so that the peers of the load-generation
// benchmark (vegeta, wrk) send byte for byte the same requests.
//
// Usage: bodies -scenario bench/loadgen.yaml [-n 1000] [-vegeta URL]
//
// With -vegeta it prints vegeta's JSON targets (the bodies base64-encoded)
// for POST URL instead.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/load"
	"github.com/otasim/otasim/sim/population"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bodies:", err)
		os.Exit(1)
	}
}

func run() error {
	path := flag.String("scenario", "bench/loadgen.yaml", "scenario file")
	n := flag.Int("n", 0, "number of devices (default: the scenario's fleet)")
	vegeta := flag.String("vegeta", "", "print vegeta JSON targets for POST to this URL")
	flag.Parse()
	sc, err := scenarios.Load(*path)
	if err != nil {
		return err
	}
	pop, err := population.New(sc, sc.Run.Seed, *n)
	if err != nil {
		return err
	}
	fleet := load.NewFleet(pop, sc.App.ID)
	w := bufio.NewWriter(os.Stdout)
	var info protocol.Info
	var body []byte
	for i := range fleet.Len() {
		fleet.Info(i, &info)
		body = client.AppendInfo(body[:0], &info)
		if *vegeta == "" {
			w.Write(body)
			w.WriteByte('\n')
			continue
		}
		t, err := json.Marshal(map[string]any{"method": "POST", "url": *vegeta,
			"header": map[string][]string{"Content-Type": {"application/json"}},
			"body":   base64.StdEncoding.EncodeToString(body)})
		if err != nil {
			return err
		}
		w.Write(t)
		w.WriteByte('\n')
	}
	return w.Flush()
}
