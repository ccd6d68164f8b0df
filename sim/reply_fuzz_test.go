package sim

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/vclock"
)

// Whatever a server answers to /updates, the device handles it without a
// panic and stays consistent: a bundle index it holds is one the engine
// knows.
func FuzzUpdatesReply(f *testing.F) {
	f.Add(200, []byte(`{"version":"1.1.0","url":"http://x/1.zip","checksum":"ab"}`))
	f.Add(200, []byte(`{"error":"already_on_builtin","message":"m","kind":"up_to_date","version":"builtin"}`))
	f.Add(200, []byte(`{"error":"no_channel","kind":"failed"}`))
	f.Add(200, []byte(`{"error":"x","kind":"weird"}`))
	f.Add(200, []byte(`{"version":"9.9.9"}`))
	f.Add(429, []byte(`{"error":"too_many_requests","kind":"failed"}`))
	f.Add(503, []byte(``))
	f.Add(200, []byte(`<html>`))
	f.Add(200, []byte(`{"version":"","url":"","error":""}`))
	sc, err := scenarios.Parse("engine-test.yaml", []byte(testScenario))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		cfg := Config{Scenario: sc, Endpoints: client.Endpoints{Updates: "http://127.0.0.1:1/u", Stats: "http://127.0.0.1:1/s", Channel: "http://127.0.0.1:1/c"}}
		e, err := newEngine(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.initDevices()
		e.initTimeline()
		e.clk, _ = vclock.New(1, time.Now(), time.Now)
		e.stopping = true // nothing is sent
		j := &job{kind: jobCheck, dev: 0}
		j.res.Status = status
		if err := json.Unmarshal(body, &j.upd); err != nil {
			j.res.Err = errors.Join(client.ErrInvalidReply, err)
		}
		s := &e.devs[0]
		s.Flags |= device.FlagCheckInFlight | device.FlagInSession
		e.deliver(j)
		for _, b := range []uint8{s.Running, s.Fallback} {
			if int(b) >= len(e.bundles.names) {
				t.Fatalf("device holds bundle %d of %d", b, len(e.bundles.names))
			}
		}
		if s.Downloading != device.None && int(s.Downloading) >= len(e.bundles.names) {
			t.Fatalf("downloading unknown bundle %d", s.Downloading)
		}
		if s.Has(device.FlagCheckInFlight) {
			t.Fatal("check still in flight after its reply")
		}
	})
}
