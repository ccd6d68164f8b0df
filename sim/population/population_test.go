package population

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/device"
)

func testScenario() *scenarios.Scenario {
	return &scenarios.Scenario{
		Network: map[string]scenarios.NetworkProfile{"wifi": {}, "4g": {}},
		Fleet: scenarios.Fleet{Devices: 1000, Segments: []scenarios.Segment{
			{Name: "beta", Share: 0.1, SessionsPerDay: 6, SelfAssign: "beta", Networks: map[string]float64{"wifi": 1}},
			{Name: "majority", Share: 0.7, SessionsPerDay: 2, TimezoneSpread: 6,
				Platforms: map[string]float64{"ios": 0.4, "android": 0.6},
				Networks:  map[string]float64{"wifi": 0.5, "4g": 0.5},
				Arms:      []scenarios.Arm{{Name: "a", Share: 0.5}, {Name: "b", Share: 0.5, UpdateMode: "always"}}},
			{Name: "enterprise", Share: 0.2, SessionsPerDay: 3, UpdateMode: "onLaunch",
				MaintenanceWindow: &scenarios.Window{Start: "22:00", End: "02:00"}},
			{Name: "new", Share: 0, SessionsPerDay: 4,
				Join: &scenarios.Join{Devices: 100, From: scenarios.Duration(time.Hour), To: scenarios.Duration(10 * time.Hour)}},
		}},
	}
}

// fingerprint hashes the whole population and its first sessions.
func fingerprint(t *testing.T, p *Population) [32]byte {
	t.Helper()
	h := sha256.New()
	for i := uint32(0); i < uint32(p.N); i++ {
		a := p.Attrs(i)
		fmt.Fprintf(h, "%s %+v %d|", p.DeviceID(i), a, p.LastSession(i))
		var ctr uint32
		at := a.JoinAt
		for k := range uint32(5) {
			at, ctr = p.NextSession(i, &a, at, ctr)
			_ = binary.Write(h, binary.LittleEndian, at)
			at += p.SessionLength(i, &a, k)
		}
	}
	return [32]byte(h.Sum(nil))
}

func TestDeterminism(t *testing.T) {
	sc := testScenario()
	a, err := New(sc, 42, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(sc, 42, 0)
	c, _ := New(sc, 43, 0)
	if fingerprint(t, a) != fingerprint(t, b) {
		t.Fatal("same seed, different population or schedule")
	}
	if fingerprint(t, a) == fingerprint(t, c) {
		t.Fatal("different seeds, same population")
	}
}

func TestLayout(t *testing.T) {
	p, err := New(testScenario(), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Installed != 1000 || p.N != 1100 {
		t.Fatalf("installed %d, total %d; want 1000, 1100", p.Installed, p.N)
	}
	counts := map[string]int{}
	joining := 0
	ids := map[string]bool{}
	uuidRe := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i := uint32(0); i < uint32(p.N); i++ {
		a := p.Attrs(i)
		counts[p.Cohorts[a.Cohort].Name]++
		if a.JoinAt > 0 {
			joining++
			if a.JoinAt < time.Hour.Milliseconds() || a.JoinAt > 10*time.Hour.Milliseconds() {
				t.Errorf("join at %d outside the window", a.JoinAt)
			}
			if p.LastSession(i) != Never {
				t.Errorf("joining device %d has a past session", i)
			}
		} else if ls := p.LastSession(i); ls > 0 {
			t.Errorf("installed device %d last session %d after the start", i, ls)
		}
		id := p.DeviceID(i)
		if !uuidRe.MatchString(id) || ids[id] {
			t.Fatalf("device id %q malformed or repeated", id)
		}
		ids[id] = true
		if a.TZOffsetMin < -360 || a.TZOffsetMin > 360 || a.TZOffsetMin%15 != 0 {
			t.Errorf("time zone offset %d", a.TZOffsetMin)
		}
	}
	want := map[string]int{"beta": 100, "majority/a": 350, "majority/b": 350, "enterprise": 200, "new": 100}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("cohort %s: %d devices, want %d", k, counts[k], v)
		}
	}
	if joining != 100 {
		t.Errorf("%d joining, want 100", joining)
	}
	if p.Cohorts[2].Plugin.Mode != device.ModeAlways || p.Cohorts[3].Plugin.Mode != device.ModeOnLaunch {
		t.Error("arm or segment update mode not resolved")
	}
}

func TestSessionRate(t *testing.T) {
	p, err := New(testScenario(), 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Beta devices: 6 sessions a day; over 10 days, 100 devices → about
	// 6000 sessions (sessions cannot overlap, so somewhat fewer).
	total := 0
	for i := uint32(0); i < 100; i++ {
		a := p.Attrs(i)
		var ctr uint32
		var at int64
		for k := uint32(0); ; k++ {
			at, ctr = p.NextSession(i, &a, at, ctr)
			if at > 10*dayMs {
				break
			}
			total++
			at += p.SessionLength(i, &a, k)
		}
	}
	if total < 4500 || total > 7000 {
		t.Fatalf("%d sessions, want about 6000", total)
	}
}

func TestWindow(t *testing.T) {
	c := Cohort{HasWindow: true, WindowStart: 22 * 60, WindowEnd: 2 * 60}
	for _, tt := range []struct {
		min  int
		want bool
	}{{21*60 + 59, false}, {22 * 60, true}, {0, true}, {119, true}, {120, false}, {12 * 60, false}} {
		if got := c.InWindow(tt.min); got != tt.want {
			t.Errorf("InWindow(%d) = %v", tt.min, got)
		}
	}
	if got := LocalMinute(-60_000, 0); got != 1439 {
		t.Errorf("LocalMinute(-1min) = %d", got)
	}
	if got := LocalMinute(0, -60); got != 1380 {
		t.Errorf("LocalMinute(0, -60) = %d", got)
	}
}

func TestBadInput(t *testing.T) {
	sc := testScenario()
	sc.Fleet.Segments[0].Networks = map[string]float64{"5g": 1}
	sc.Fleet.Segments[1].UpdateMode = "sometimes"
	sc.Fleet.Segments[2].MaintenanceWindow = &scenarios.Window{Start: "25:00", End: "x"}
	_, err := New(sc, 1, 0)
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{`"sometimes"`, `"25:00"`, `"x"`} {
		if !regexpContains(err.Error(), want) {
			t.Errorf("error %q lacks %s", err, want)
		}
	}
	if _, err := New(&scenarios.Scenario{}, 1, 0); err == nil {
		t.Error("empty fleet accepted")
	}
}

func regexpContains(s, sub string) bool {
	return regexp.MustCompile(regexp.QuoteMeta(sub)).MatchString(s)
}

func BenchmarkNextSession(b *testing.B) {
	p, _ := New(testScenario(), 1, 0)
	a := p.Attrs(5)
	var at int64
	var ctr uint32
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		at, ctr = p.NextSession(5, &a, at, ctr)
	}
}
