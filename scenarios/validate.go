package scenarios

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// Limits checked by validation.
const (
	MaxDevices = 10_000_000
	// MaxBundles bounds the bundles of a scenario (the simulator keeps a
	// device's failed bundles in a bit set).
	MaxBundles = 60
	MaxSpeed   = 1e6
	MinSize    = ByteSize(1 << 10)
	MaxSize    = ByteSize(2 << 30)
	// MinPeriodicCheck is the plugin's floor for periodic checks.
	MinPeriodicCheck = Duration(600 * time.Second)
	// MaxResponseTimeout bounds run.response_timeout.
	MaxResponseTimeout = Duration(10 * time.Minute)
	shareTolerance     = 0.001
)

// issue is one semantic problem, located by YAML path; parse turns it into
// a Problem with the position of that path.
type issue struct{ path, msg string }

type checker struct {
	s *Scenario
	// present reports whether a path was written in the file, to tell a
	// missing value from an explicit zero.
	present func(path string) bool
	issues  []issue
}

// missing words the problem of a required value left at zero.
func (c *checker) missingOr(path, outOfRange, expected string) {
	if c.present(path) {
		c.add(path, "%s is out of range (expected %s)", outOfRange, expected)
	} else {
		c.add(path, "missing (expected %s)", expected)
	}
}

func (c *checker) add(path, format string, args ...any) {
	c.issues = append(c.issues, issue{path, fmt.Sprintf(format, args...)})
}

// validate checks every rule and returns every problem.
func validate(s *Scenario, present func(string) bool) []issue {
	c := &checker{s: s, present: present}
	c.checkRun()
	c.checkTarget()
	c.checkApp()
	c.checkBundles()
	c.checkNetworks()
	c.checkFleet()
	c.checkTimeline()
	c.checkTargets()
	c.checkLoad()
	return c.issues
}

// Validate checks a scenario built or changed in Go (Parse and Load have
// already done so) and returns every problem, located by YAML path.
func (s *Scenario) Validate() error {
	is := validate(s, func(string) bool { return true })
	if len(is) == 0 {
		return nil
	}
	e := &Error{}
	for _, i := range is {
		e.Problems = append(e.Problems, Problem{File: s.Source, Path: i.path, Message: i.msg})
	}
	return e
}

func (c *checker) checkRun() {
	r := c.s.Run
	switch {
	case r.Duration == 0:
		c.missingOr("run.duration", "0s", expectDuration+", the virtual length of the run")
	case r.Duration < 0:
		c.add("run.duration", "%s is negative (expected %s)", r.Duration, expectDuration)
	}
	if !(r.Speed > 0 && r.Speed <= MaxSpeed) {
		c.add("run.speed", "%v is out of range (expected a number above 0 and at most 1000000 virtual seconds per second)", r.Speed)
	}
	if r.SampleEvery <= 0 {
		c.add("run.sample_every", "%s is out of range (expected a duration above 0)", r.SampleEvery)
	} else if r.Duration > 0 && r.SampleEvery > r.Duration {
		c.add("run.sample_every", "%s is longer than the run (%s)", r.SampleEvery, r.Duration)
	}
	c.intRange("run.connections", r.Connections, 1, 100_000)
	c.intRange("run.workers", r.Workers, 1, 100_000)
	if !(r.ResponseTimeout > 0 && r.ResponseTimeout <= MaxResponseTimeout) {
		c.add("run.response_timeout", "%s is out of range (expected a duration above 0 and at most %s)", r.ResponseTimeout, MaxResponseTimeout)
	}
}

func (c *checker) checkTarget() {
	t := c.s.Target
	for _, u := range []struct{ path, v string }{
		{"target.updates_url", t.UpdatesURL}, {"target.stats_url", t.StatsURL},
		{"target.channel_url", t.ChannelURL}, {"target.admin_url", t.AdminURL},
	} {
		if u.v != "" {
			c.url(u.path, u.v)
		}
	}
	if t.UpdatesURL == "" && (t.StatsURL != "" || t.ChannelURL != "") {
		c.add("target.updates_url", "missing (expected the /updates URL when other endpoint URLs are given)")
	}
}

func (c *checker) url(path, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.add(path, "%s is not an absolute URL (expected http:// or https:// and a host)", quoteShort(v))
	}
}

func (c *checker) checkApp() {
	a := c.s.App
	if !validAppID(a.ID) {
		c.add("app.id", "%s is not an app id (expected a reverse-domain id such as com.example.app)", quoteShort(a.ID))
	}
	c.semver("app.builtin", a.Builtin)
	seen := map[string]bool{}
	for i, ch := range a.Channels {
		p := indexPath("app.channels", i)
		switch {
		case !validChannelName(ch.Name):
			c.add(p+".name", "%s is not a channel name (expected 1 to 64 letters, digits, '.', '_' or '-')", quoteShort(ch.Name))
		case seen[ch.Name]:
			c.add(p+".name", "channel %q is defined twice", ch.Name)
		}
		seen[ch.Name] = true
		if ch.Bundle != "" {
			c.bundleRef(p+".bundle", ch.Bundle)
		}
		if !slices.Contains([]string{"none", "major", "minor", "patch", "version_number"}, ch.DisableAutoUpdate) {
			c.add(p+".disable_auto_update", "%s is not a policy (expected none, major, minor, patch or version_number)", quoteShort(ch.DisableAutoUpdate))
		}
		for j, pl := range ch.Platforms {
			if !slices.Contains(ChannelPlatforms(), pl) {
				c.add(indexPath(p+".platforms", j), "unknown platform %s (expected ios, android or electron)", quoteShort(pl))
			}
		}
	}
}

// Platforms lists the device platforms a segment may mix.
func Platforms() []string { return []string{"ios", "android"} }

// ChannelPlatforms lists the platforms a channel may serve.
func ChannelPlatforms() []string { return []string{"ios", "android", "electron"} }

func validAppID(id string) bool {
	if id == "" || len(id) > 128 || !strings.Contains(id, ".") {
		return false
	}
	return strings.IndexFunc(id, func(r rune) bool {
		return !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
}

func validChannelName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	return strings.IndexFunc(n, func(r rune) bool {
		return !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
}

// IsSemver reports a full semantic version such as 1.2.0 or 2.0.0-beta.1
// (no "v", no shorthand such as 1.2).
func IsSemver(v string) bool {
	sv := "v" + v
	if strings.HasPrefix(v, "v") || !semver.IsValid(sv) {
		return false
	}
	core := semver.Canonical(sv) // drops +build
	rest := strings.TrimPrefix(sv, core)
	return strings.HasPrefix(sv, core) && (rest == "" || strings.HasPrefix(rest, "+"))
}

func (c *checker) semver(path, v string) {
	if v == "" {
		c.add(path, "missing (expected a version such as 1.2.0)")
		return
	}
	if !IsSemver(v) {
		c.add(path, "%s is not a semantic version (expected a version such as 1.2.0)", quoteShort(v))
	}
}

// MaxFiles bounds a synthetic bundle's files.
const MaxFiles = 10_000

// checkDelivery checks how a bundle is delivered and built.
func (c *checker) checkDelivery(p string, b Bundle, before map[string]bool) {
	switch b.Delivery {
	case "", DeliveryZip, DeliveryManifest:
	default:
		c.add(p+".delivery", "unknown delivery %s (expected zip or manifest)", quoteShort(b.Delivery))
	}
	if b.Files < 0 || b.Files > MaxFiles {
		c.add(p+".files", "%d files (expected 1 to %d)", b.Files, MaxFiles)
	}
	if b.ChangedFiles != nil {
		c.rate(p+".changed_files", *b.ChangedFiles)
	}
	if b.SameFilesAs != "" {
		switch {
		case !before[b.SameFilesAs]:
			c.add(p+".same_files_as", "%s is not a bundle listed before this one", quoteShort(b.SameFilesAs))
		case b.Files != 0 || b.ChangedFiles != nil || b.Size != 0:
			c.add(p+".same_files_as", "a bundle with the same files as another gives no size, files or changed_files")
		}
	}
}

func (c *checker) checkBundles() {
	if len(c.s.Bundles) > MaxBundles {
		c.add("bundles", "%d bundles (expected at most %d)", len(c.s.Bundles), MaxBundles)
	}
	seen := map[string]bool{}
	for i, b := range c.s.Bundles {
		p := indexPath("bundles", i)
		c.semver(p+".version", b.Version)
		switch {
		case b.Version == "":
		case seen[b.Version]:
			c.add(p+".version", "bundle %s is defined twice", b.Version)
		case b.Version == c.s.App.Builtin:
			c.add(p+".version", "%s is the builtin version (expected a version other than app.builtin)", b.Version)
		}
		c.checkDelivery(p, b, seen)
		seen[b.Version] = true
		switch {
		case b.SameFilesAs != "" && b.Size == 0:
		case b.Size == 0:
			c.missingOr(p+".size", "0", "a size from 1KiB to 2GiB, such as 5MB")
		case b.Size < MinSize || b.Size > MaxSize:
			c.add(p+".size", "%s is out of range (expected a size from 1KiB to 2GiB)", b.Size)
		}
		if b.MinNative != "" {
			c.semver(p+".min_native", b.MinNative)
		}
		d := b.Defects
		dp := p + ".defects"
		c.rate(dp+".not_ready", d.NotReady)
		c.rate(dp+".corrupt_download", d.CorruptDownload)
		c.rate(dp+".error_rate", d.ErrorRate)
		for _, k := range sortedKeys(d.NotReadyByPlatform) {
			kp := childPath(dp+".not_ready_by_platform", k)
			if !slices.Contains(Platforms(), k) {
				c.add(kp, "unknown platform %s (expected ios or android)", quoteShort(k))
			}
			c.rate(kp, d.NotReadyByPlatform[k])
		}
		for _, k := range sortedKeys(d.NotReadyBySegment) {
			kp := childPath(dp+".not_ready_by_segment", k)
			if !c.isSegment(k) {
				c.add(kp, "unknown segment %s (expected one of: %s)", quoteShort(k), strings.Join(c.segmentNames(), ", "))
			}
			c.rate(kp, d.NotReadyBySegment[k])
		}
	}
}

func (c *checker) checkNetworks() {
	for _, name := range sortedKeys(c.s.Network) {
		n := c.s.Network[name]
		p := childPath("network_profiles", name)
		if n.Bandwidth <= 0 {
			c.missingOr(p+".bandwidth", "0", expectBandwidth)
		}
		c.rate(p+".failure", n.Failure)
		if (n.OfflineEvery == 0) != (n.OfflineFor == 0) {
			c.add(p, "offline_every and offline_for go together (expected both or neither)")
		} else if n.OfflineEvery > 0 && n.OfflineFor >= n.OfflineEvery {
			c.add(p+".offline_for", "%s is not shorter than offline_every (%s)", n.OfflineFor, n.OfflineEvery)
		}
	}
}

// rate checks a probability or share in [0,1].
func (c *checker) rate(path string, v float64) {
	if !(v >= 0 && v <= 1) {
		c.add(path, "%v is out of range (expected a number from 0 to 1)", v)
	}
}

func (c *checker) intRange(path string, v, lo, hi int) {
	if v < lo || v > hi {
		c.add(path, "%d is out of range (expected a whole number from %d to %d)", v, lo, hi)
	}
}

// shares checks a map of name → share: each in [0,1], summing to 1, and
// every name known.
func (c *checker) shares(path string, m map[string]float64, known []string, what string) {
	if len(m) == 0 {
		c.add(path, "empty (expected at least one %s with its share)", what)
		return
	}
	sum := 0.0
	ok := true
	for _, k := range sortedKeys(m) {
		kp := childPath(path, k)
		if known != nil && !slices.Contains(known, k) {
			c.add(kp, "unknown %s %s (expected one of: %s)", what, quoteShort(k), strings.Join(known, ", "))
		}
		if v := m[k]; !(v >= 0 && v <= 1) {
			c.add(kp, "%v is out of range (expected a number from 0 to 1)", v)
			ok = false
		} else {
			sum += v
		}
	}
	if ok {
		c.sum(path, sum)
	}
}

func (c *checker) sum(path string, sum float64) {
	if math.Abs(sum-1) > shareTolerance {
		c.add(path, "shares sum to %s (expected 1)", strconv.FormatFloat(sum, 'g', 6, 64))
	}
}

func (c *checker) channelRef(path, name string) {
	if name == "" {
		c.add(path, "missing (expected a channel name)")
		return
	}
	if c.s.ChannelByName(name) == nil {
		c.add(path, "unknown channel %s (expected one of: %s)", quoteShort(name), strings.Join(c.channelNames(), ", "))
	}
}

func (c *checker) bundleRef(path, version string) {
	if version == "" {
		c.add(path, "missing (expected a bundle version)")
		return
	}
	for _, b := range c.s.Bundles {
		if b.Version == "" {
			return // a bundle without a version is reported; do not guess
		}
	}
	if _, ok := c.s.BundleByVersion(version); !ok && version != c.s.App.Builtin && version != "builtin" {
		c.add(path, "unknown bundle %s (expected one of: %s)", quoteShort(version), strings.Join(c.bundleNames(), ", "))
	}
}

func (c *checker) channelNames() []string {
	var out []string
	for _, ch := range c.s.App.Channels {
		out = append(out, ch.Name)
	}
	return out
}

func (c *checker) bundleNames() []string {
	out := []string{"builtin"}
	for _, b := range c.s.Bundles {
		if b.Version != "" {
			out = append(out, b.Version)
		}
	}
	return out
}

func (c *checker) segmentNames() []string {
	var out []string
	for _, g := range c.s.Fleet.Segments {
		out = append(out, g.Name)
	}
	return out
}

func (c *checker) isSegment(name string) bool { return slices.Contains(c.segmentNames(), name) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
