package load

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
)

// clockSender answers every request after a fixed delay of the bubble's
// clock and records when each device's requests were sent.
type clockSender struct {
	delay time.Duration
	mu    sync.Mutex
	sends []time.Time
	ids   map[string]int
}

func (s *clockSender) Updates(ctx context.Context, info *protocol.Info, reply *protocol.UpdateReply) client.Result {
	sent := time.Now()
	s.mu.Lock()
	s.sends = append(s.sends, sent)
	if s.ids == nil {
		s.ids = map[string]int{}
	}
	s.ids[info.DeviceID]++
	s.mu.Unlock()
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return client.Result{Sent: sent, Done: time.Now(), Err: ctx.Err(), RetryAfter: -1}
		}
	}
	reply.Error = "no_new_version_available"
	return client.Result{Status: 200, Sent: sent, Done: time.Now(), RetryAfter: -1}
}

// idDevices are devices whose id is their index.
type idDevices int

func (d idDevices) Len() int { return int(d) }
func (d idDevices) Info(i int, into *protocol.Info) {
	*into = protocol.Info{Platform: "ios", DeviceID: fmt.Sprintf("dev-%d", i), AppID: "app", VersionName: "builtin"}
}

// The scheduler releases every request at its intended time: under the
// bubble's clock a free worker sends it at exactly that instant.
func TestOpenProfileKeepsSchedule(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		perSec  []int64
		devices int
	}{
		{"constant 50/s for 2 s", Config{Profile: ProfileConstant, Rate: 50, Duration: 2 * time.Second}, []int64{50, 50}, 10},
		{"ramping 0 to 40 and back", Config{Profile: ProfileRamping, Stages: []Stage{{40, 2 * time.Second}, {0, 2 * time.Second}}},
			[]int64{10, 30, 30, 10}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &clockSender{delay: 5 * time.Millisecond}
				cfg := tt.cfg
				cfg.Sender, cfg.Devices, cfg.Workers, cfg.sleep = s, idDevices(tt.devices), 4, time.Sleep
				start := time.Now()
				res, err := Run(t.Context(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				var want int64
				for _, n := range tt.perSec {
					want += n
				}
				if res.Due != want || res.Sent != want || res.Scheduled != want || res.Done != want {
					t.Errorf("due %d, sent %d, scheduled %d, done %d; want %d", res.Due, res.Sent, res.Scheduled, res.Done, want)
				}
				sched, _ := cfg.validate()
				for n, at := range s.sends {
					due, _ := sched.At(int64(n))
					if got := at.Sub(start); got != due {
						t.Errorf("request %d sent at %v, intended %v", n, got, due)
						break
					}
				}
				if res.Late != 0 || res.Dropped != 0 || res.Lag.Max() > 1 {
					t.Errorf("late %d, dropped %d, lag max %d µs; want none", res.Late, res.Dropped, res.Lag.Max())
				}
				if res.Latency.TotalCount() != want || res.Service.TotalCount() != want {
					t.Errorf("histograms hold %d and %d values, want %d", res.Latency.TotalCount(), res.Service.TotalCount(), want)
				}
				if got := res.Latency.ValueAtQuantile(99); got < 4990 || got > 5010 {
					t.Errorf("latency p99 %d µs, want 5000 (the sender's delay)", got)
				}
				for i, n := range tt.perSec {
					if i >= len(res.PerSecond) || res.PerSecond[i].Due != n || res.PerSecond[i].Sent != n {
						t.Errorf("per second = %v, want due = sent = %v", res.PerSecond, tt.perSec)
						break
					}
				}
				if len(s.ids) != tt.devices {
					t.Errorf("%d devices checked, want %d", len(s.ids), tt.devices)
				}
				if r := res.Reasons(); len(r) > 0 && !strings.Contains(r[0], "CPU") {
					t.Errorf("saturated: %v", r)
				}
			})
		})
	}
}

// A server slower than the rate fills the backlog: requests wait (late,
// and their latency from the intended time grows) and, beyond the
// backlog, are dropped; every due request is accounted for.
func TestOpenProfileLateAndDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &clockSender{delay: 100 * time.Millisecond}
		res, err := Run(t.Context(), Config{Profile: ProfileConstant, Rate: 50, Duration: time.Second,
			Sender: s, Devices: idDevices(5), Workers: 1, Backlog: 5, LateBound: 10 * time.Millisecond, sleep: time.Sleep})
		if err != nil {
			t.Fatal(err)
		}
		if res.Due != 50 || res.Sent+res.Dropped != res.Due || res.Unsent != 0 {
			t.Errorf("due %d, sent %d, dropped %d, unsent %d: want sent + dropped = due = 50", res.Due, res.Sent, res.Dropped, res.Unsent)
		}
		if res.Dropped == 0 || res.Late == 0 {
			t.Errorf("dropped %d, late %d: want both", res.Dropped, res.Late)
		}
		// Service time is the sender's delay; latency adds the wait.
		if got := res.Service.Max(); got < 99_900 || got > 100_100 {
			t.Errorf("service max %d µs, want 100 ms", got)
		}
		if res.Latency.Max() <= res.Service.Max() {
			t.Errorf("latency max %d µs is not above service max %d µs", res.Latency.Max(), res.Service.Max())
		}
		sum := res.Summary()
		if !sum.Saturated || len(sum.Reasons) < 2 {
			t.Errorf("saturated %v, reasons %v: want dropped and late", sum.Saturated, sum.Reasons)
		}
	})
}

// Cancelling ctx stops the schedule; what was due is sent, unsent or
// dropped, and the result says it is partial.
func TestOpenProfileInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			time.Sleep(500 * time.Millisecond)
			cancel()
		}()
		s := &clockSender{delay: 50 * time.Millisecond}
		res, err := Run(ctx, Config{Profile: ProfileConstant, Rate: 100, Duration: 10 * time.Second,
			Sender: s, Devices: idDevices(3), Workers: 2, sleep: time.Sleep})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Interrupted {
			t.Error("not marked interrupted")
		}
		if res.Due < 49 || res.Due > 51 || res.Sent+res.Unsent+res.Dropped != res.Due {
			t.Errorf("due %d, sent %d, unsent %d, dropped %d", res.Due, res.Sent, res.Unsent, res.Dropped)
		}
		if res.Unsent == 0 {
			t.Error("want requests left unsent in the backlog")
		}
	})
}

// The max profile keeps every worker busy for the duration.
func TestMaxProfile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &clockSender{delay: 10 * time.Millisecond}
		res, err := Run(t.Context(), Config{Profile: ProfileMax, Duration: time.Second, Sender: s, Devices: idDevices(1000), Workers: 4, sleep: time.Sleep})
		if err != nil {
			t.Fatal(err)
		}
		// 100 back-to-back requests per worker; the last may race the end.
		if res.Sent < 400 || res.Sent > 404 || res.Done != res.Sent {
			t.Errorf("sent %d, done %d; want 400 to 404", res.Sent, res.Done)
		}
		if res.PeakInFlight != 4 {
			t.Errorf("peak in flight %d, want the 4 workers", res.PeakInFlight)
		}
		if res.Due != 0 || res.Lag.TotalCount() != 0 || res.Late != 0 {
			t.Errorf("max has no schedule: due %d, lag count %d, late %d", res.Due, res.Lag.TotalCount(), res.Late)
		}
		if res.Latency.TotalCount() != res.Sent || res.Latency.Max() != res.Service.Max() {
			t.Errorf("latency count %d (sent %d), max %d vs service %d", res.Latency.TotalCount(), res.Sent, res.Latency.Max(), res.Service.Max())
		}
		if len(s.ids) != int(res.Sent) {
			t.Errorf("%d distinct devices for %d requests: want each device in turn", len(s.ids), res.Sent)
		}
	})
}

func TestConfigValidation(t *testing.T) {
	_, err := Run(t.Context(), Config{Profile: "burst", Workers: 0, Backlog: -1})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{`profile "burst"`, "no sender", "no devices", "workers 0", "must not be negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	_, err = Run(t.Context(), Config{Profile: ProfileConstant, Sender: &clockSender{}, Devices: idDevices(1), Workers: 1})
	if err == nil || !strings.Contains(err.Error(), "rate 0") || !strings.Contains(err.Error(), "duration 0s") {
		t.Errorf("constant without rate and duration: %v", err)
	}
}
