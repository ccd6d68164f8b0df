package scenarios

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	s, err := Parse("min.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "min" {
		t.Errorf("name = %q, want the file's base name", s.Name)
	}
	r := s.Run
	if r.Speed != 1440 || r.Seed != 1 || r.SampleEvery.D() != 10*time.Minute || r.Connections != 64 || r.Workers != 256 {
		t.Errorf("run defaults: %+v", r)
	}
	if s.App.ID != "com.example.app" || s.App.Builtin != "1.0.0" {
		t.Errorf("app defaults: %+v", s.App)
	}
	prod, beta := s.ChannelByName("production"), s.ChannelByName("beta")
	if prod == nil || !prod.Public || prod.AllowSelfSet || beta == nil || beta.Public || !beta.AllowSelfSet {
		t.Errorf("default channels: %+v", s.App.Channels)
	}
	var names []string
	for _, g := range s.Fleet.Segments {
		names = append(names, g.Name)
	}
	if want := []string{"beta", "power", "new", "enterprise", "occasional"}; !slices.Equal(names, want) {
		t.Errorf("default segments %v, want %v", names, want)
	}
	for _, g := range s.Fleet.Segments {
		if g.UpdateMode == "" || g.Platforms["ios"] == 0 || g.Networks["wifi"] == 0 || g.NativeVersions["1.0.0"] != 1 ||
			g.SessionLength.Median == 0 || g.TimezoneSpread != 6 || g.Diurnal.IsZero() {
			t.Errorf("segment %s lacks a default: %+v", g.Name, g)
		}
	}
	if g := s.Fleet.Segments[0]; g.SelfAssign != "beta" || g.UpdateMode != ModeAlways {
		t.Errorf("beta segment: %+v", g)
	}
	if j := s.Fleet.Segments[2].Join; j == nil || j.Devices != 10 || j.From != 0 || j.To != s.Run.Duration {
		t.Errorf("new users join over the run: %+v", j)
	}
	if w := s.Fleet.Segments[3].MaintenanceWindow; w == nil || w.Start != "02:00" || w.End != "04:00" {
		t.Errorf("enterprise window: %+v", w)
	}
	if len(s.Network) != 4 || s.Network["flaky"].OfflineEvery.D() != 6*time.Hour {
		t.Errorf("network profiles: %+v", s.Network)
	}
	specs := s.TargetSpecs()
	want := []TargetSpec{
		{Name: "adoption", Metric: "adoption.time_to_95_s", Threshold: 86400, Op: "<=", Unit: "s", Documented: true, Bundle: "1.1.0"},
		{Name: "cdn", Metric: "cdn.ms_per_5mb.p50", Threshold: 114, Op: "<=", Unit: "ms", Documented: true},
		{Name: "success_rate", Metric: "success_rate.overall", Threshold: 0.82, Op: ">=", Unit: "ratio", Documented: true},
		{Name: "api", Metric: "api.updates.mean_ms", Threshold: 434, Op: "<=", Unit: "ms", Documented: true},
		{Name: "api_errors.updates", Metric: "api.updates.error_rate", Threshold: 0.01, Op: "<=", Unit: "ratio"},
		{Name: "api_errors.stats", Metric: "api.stats.error_rate", Threshold: 0.01, Op: "<=", Unit: "ratio"},
		{Name: "api_errors.channel_self", Metric: "api.channel_self.error_rate", Threshold: 0.01, Op: "<=", Unit: "ratio"},
		{Name: "cdn_errors", Metric: "cdn.error_rate", Threshold: 0.01, Op: "<=", Unit: "ratio"},
	}
	if s.Run.ResponseTimeout.D() != 20*time.Second {
		t.Errorf("response timeout %v, want the plugin's 20s", s.Run.ResponseTimeout)
	}
	if !slices.Equal(specs, want) {
		t.Errorf("targets:\n got %+v\nwant %+v", specs, want)
	}
}

func TestExplicitValuesKeptOverDefaults(t *testing.T) {
	src := minimal + `network_profiles:
  wifi: {failure: 0}
  satellite: {bandwidth: 1Mbps, rtt: 600ms}
  segments: []
`
	src = strings.Replace(src, "  segments: []\n", "", 1)
	src = strings.Replace(src, "  devices: 100\n", `  devices: 100
  segments:
    - name: office
      share: 1
      timezone_spread_hours: 0
      networks: {wifi: 0.5, satellite: 0.5}
`, 1)
	s, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if w := s.Network["wifi"]; w.Failure != 0 || w.Bandwidth != 50_000_000/8 || w.RTT.D() != 20*time.Millisecond {
		t.Errorf("wifi: an explicit 0 must stay and the rest keep the defaults: %+v", w)
	}
	if sat, ok := s.Network["satellite"]; !ok || sat.RTT.D() != 600*time.Millisecond {
		t.Errorf("satellite: %+v", sat)
	}
	if g := s.Fleet.Segments[0]; g.TimezoneSpread != 0 {
		t.Errorf("explicit timezone spread 0 replaced by %v", g.TimezoneSpread)
	}
}

func TestTimelineSortedStably(t *testing.T) {
	src := strings.Replace(minimal, "timeline:\n", `timeline:
  - at: 3h
    pause: {channel: production}
  - at: 2h
    guard: {channel: production, threshold: 0.2}
  - at: 2h
    rollout: {channel: production, bundle: 1.1.0, percent: 12.5}
`, 1)
	s, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range s.Timeline {
		name, v := st.Action()
		if v == nil {
			t.Fatalf("step at %s has no action value", st.At)
		}
		got = append(got, st.At.String()+" "+name)
	}
	want := []string{"1h release", "2h guard", "2h rollout", "3h pause"}
	if !slices.Equal(got, want) {
		t.Errorf("timeline %v, want %v", got, want)
	}
	_, v := s.Timeline[2].Action()
	r, ok := v.(*Rollout)
	if !ok || r.BasisPoints() != 1250 {
		t.Errorf("rollout action %T %+v", v, v)
	}
	g := s.Timeline[1].Guard
	if g.Window.D() != time.Hour || g.MinAttempts != 50 || g.Cooldown.D() != 30*time.Minute || g.Action != GuardPause {
		t.Errorf("guard defaults: %+v", g)
	}
	if s.ReleasedBundle() != "1.1.0" {
		t.Errorf("released bundle %q", s.ReleasedBundle())
	}
}

func TestCohorts(t *testing.T) {
	s, err := Load("push-vs-poll")
	if err != nil {
		t.Fatal(err)
	}
	cs := s.Fleet.Cohorts()
	if len(cs) != 2 {
		t.Fatalf("cohorts %+v", cs)
	}
	push, poll := cs[0], cs[1]
	if push.Name != "users/push" || push.Segment != "users" || push.Arm != "push" || push.Share != 0.5 || !push.Behaviour.Push {
		t.Errorf("push arm: %+v", push)
	}
	if poll.Name != "users/poll" || poll.Behaviour.Push || poll.Behaviour.UpdateMode != ModeAlways || poll.Behaviour.Arms != nil {
		t.Errorf("poll arm: %+v", poll)
	}
	q, err := Load("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, c := range q.Fleet.Cohorts() {
		if c.Arm != "" || c.Name != c.Segment {
			t.Errorf("segment without arms gave cohort %+v", c)
		}
		sum += c.Share
	}
	if sum < 0.999 || sum > 1.001 {
		t.Errorf("cohort shares sum to %v", sum)
	}
}

func TestLoadPathOrName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil || s.Source != path || s.Name != "mine" {
		t.Fatalf("Load(path): %v", err)
	}
	t.Chdir(dir) // no quickstart.yaml here: the names are the bundled ones
	for _, name := range []string{"quickstart", "quickstart.yaml"} {
		s, err := Load(name)
		if err != nil {
			t.Errorf("Load(%q): %v", name, err)
		} else if s.Source != "embedded:quickstart.yaml" {
			t.Errorf("Load(%q): source %q", name, s.Source)
		}
	}
	if _, err := Load("nosuch"); err == nil || !strings.Contains(err.Error(), "quickstart") {
		t.Errorf("Load(nosuch) error %v should list the bundled names", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a missing path loaded")
	}
	if _, err := Load(dir + "/"); err == nil {
		t.Error("a folder loaded")
	}
	if _, err := Bundled("../go.mod"); err == nil {
		t.Error("Bundled read outside the bundled files")
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("flet: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.HasPrefix(err.Error(), bad+":1:1: unknown key") {
		t.Errorf("Load(bad) error %q should start with the path and position", err)
	}
}

func TestHash(t *testing.T) {
	a, _ := Parse("a.yaml", []byte(minimal))
	b, _ := Parse("b.yaml", []byte(strings.ReplaceAll(minimal, "\n", "\r\n")))
	c, _ := Parse("c.yaml", []byte(minimal+"# a comment\n"))
	if a.Hash() != b.Hash() {
		t.Error("line endings change the hash")
	}
	if a.Hash() == c.Hash() {
		t.Error("different sources give the same hash")
	}
}

func TestMetricNames(t *testing.T) {
	names := MetricNames()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("metric %s listed twice", n)
		}
		seen[n] = true
	}
	s, _ := Parse("x.yaml", []byte(minimal))
	for _, spec := range s.TargetSpecs() {
		if !seen[spec.Metric] {
			t.Errorf("documented target %s uses unlisted metric %s", spec.Name, spec.Metric)
		}
	}
	if m, ok := LookupMetric("api.stats.p99_ms"); !ok || m.Unit != "ms" || !m.PerSegment {
		t.Errorf("LookupMetric(api.stats.p99_ms) = %+v, %v", m, ok)
	}
}

func TestValidateBuiltInGo(t *testing.T) {
	s, err := Load("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("a loaded scenario does not validate: %v", err)
	}
	s.Fleet.Devices = 0
	s.Timeline[1].Rollout.Percent = 101
	err = s.Validate()
	if err == nil || !strings.Contains(err.Error(), "fleet.devices") || !strings.Contains(err.Error(), "timeline[1].rollout.percent") {
		t.Errorf("Validate() = %v", err)
	}
}

func TestWindowContains(t *testing.T) {
	night := Window{Start: "23:00", End: "01:30"}
	for minute, want := range map[int]bool{23 * 60: true, 0: true, 89: true, 90: false, 12 * 60: false} {
		if got := night.Contains(minute); got != want {
			t.Errorf("%+v.Contains(%d) = %v", night, minute, got)
		}
	}
	day := Window{Start: "02:00", End: "04:00"}
	if !day.Contains(150) || day.Contains(240) || day.Contains(60) {
		t.Error("02:00–04:00 window")
	}
}

func TestIsSemver(t *testing.T) {
	for v, want := range map[string]bool{"1.2.0": true, "2.0.0-beta.1": true, "1.0.0+build.5": true,
		"1.2": false, "v1.2.0": false, "1": false, "": false, "01.2.3": false} {
		if got := IsSemver(v); got != want {
			t.Errorf("IsSemver(%q) = %v", v, got)
		}
	}
}

func TestAnchorsAndMerges(t *testing.T) {
	src := minimal + `network_profiles:
  base: &base {bandwidth: 5Mbps, rtt: 80ms}
  slow:
    <<: *base
    bandwidth: 1Mbps
`
	src = strings.Replace(src, "  devices: 100\n", `  devices: 100
  segments:
    - &seg {name: a, share: 0.5, networks: {slow: 1}}
    - {name: b, <<: *seg}
`, 1)
	s, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if slow := s.Network["slow"]; slow.RTT.D() != 80*time.Millisecond || slow.Bandwidth != 125_000 {
		t.Errorf("merged profile: %+v", slow)
	}
	if b := s.Fleet.Segments[1]; b.Name != "b" || b.Share != 0.5 || b.Networks["slow"] != 1 {
		t.Errorf("merged segment: %+v", b)
	}
}

// TestDefaultsValidForAnyFleetSize: the defaults themselves must never be
// what a scenario is rejected for.
func TestDefaultsValidForAnyFleetSize(t *testing.T) {
	for _, n := range []string{"1", "3", "9", "10", "10000000"} {
		src := strings.Replace(minimal, "devices: 100", "devices: "+n, 1)
		if _, err := Parse("x.yaml", []byte(src)); err != nil {
			t.Errorf("%s devices: %v", n, err)
		}
	}
}

// TestResolvedRoundTrip: the resolved YAML of every bundled scenario
// parses back to the same scenario.
func TestResolvedRoundTrip(t *testing.T) {
	for _, in := range List() {
		s, err := Load(in.Name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Resolved()
		if err != nil {
			t.Fatalf("%s: %v", in.Name, err)
		}
		back, err := Parse(in.Name+".yaml", out)
		if err != nil {
			t.Fatalf("%s: the resolved YAML does not parse:\n%v\n%s", in.Name, err, out)
		}
		back.Source, back.raw, s.raw = s.Source, nil, nil
		if !reflect.DeepEqual(s, back) {
			a, _ := json.Marshal(s)
			b, _ := json.Marshal(back)
			i := 0
			for i < len(a) && i < len(b) && a[i] == b[i] {
				i++
			}
			t.Errorf("%s: the resolved YAML gives another scenario; JSON differs at %q vs %q", in.Name, a[max(i-80, 0):min(i+40, len(a))], b[max(i-80, 0):min(i+40, len(b))])
		}
	}
}

func TestTooManyBundles(t *testing.T) {
	var b strings.Builder
	b.WriteString("run: {duration: 1h}\nfleet: {devices: 10}\nbundles:\n")
	for i := range MaxBundles + 1 {
		fmt.Fprintf(&b, "  - {version: 2.0.%d, size: 1MB}\n", i)
	}
	_, err := Parse("x.yaml", []byte(b.String()))
	want := "x.yaml:4:3: bundles: 61 bundles (expected at most 60)"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
