package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// Update modes: the plugin's autoUpdate settings (src/definitions.ts:80).
const (
	ModeAtBackground = "atBackground"
	ModeAtInstall    = "atInstall"
	ModeOnLaunch     = "onLaunch"
	ModeAlways       = "always"
	ModeOnlyDownload = "onlyDownload"
	ModeOff          = "off"
)

// UpdateModes lists the valid update modes, the plugin's default first.
func UpdateModes() []string {
	return []string{ModeAtBackground, ModeAtInstall, ModeOnLaunch, ModeAlways, ModeOnlyDownload, ModeOff}
}

// DirectUpdates lists the values of the deprecated directUpdate.
func DirectUpdates() []string {
	return []string{"false", "true", ModeAtInstall, ModeOnLaunch, ModeAlways}
}

// DefaultPluginVersion is the capacitor-updater version devices run by
// default.
const DefaultPluginVersion = "8.51.14"

func (c *checker) checkFleet() {
	f := c.s.Fleet
	if f.Devices == 0 {
		c.missingOr("fleet.devices", "0", "a number of devices from 1 to 10000000")
	} else {
		c.intRange("fleet.devices", f.Devices, 1, MaxDevices)
	}
	if len(f.Segments) == 0 {
		c.add("fleet.segments", "empty (expected at least one segment, or leave it out for the default segments)")
		return
	}
	seen := map[string]bool{}
	sum, sharesOK := 0.0, true
	for i := range f.Segments {
		g := &f.Segments[i]
		p := indexPath("fleet.segments", i)
		switch {
		case g.Name == "":
			c.add(p+".name", "missing (expected a segment name)")
		case strings.ContainsAny(g.Name, "/ \t"):
			c.add(p+".name", "%s has a slash or a space (expected a plain name)", quoteShort(g.Name))
		case seen[g.Name]:
			c.add(p+".name", "segment %q is defined twice", g.Name)
		}
		seen[g.Name] = true
		if !(g.Share >= 0 && g.Share <= 1) {
			c.add(p+".share", "%v is out of range (expected a number from 0 to 1)", g.Share)
			sharesOK = false
		} else {
			sum += g.Share
		}
		c.checkSegment(g, p)
	}
	if sharesOK {
		c.sum("fleet.segments", sum)
	}
}

func (c *checker) checkSegment(g *Segment, p string) {
	if !(g.SessionsPerDay > 0 && g.SessionsPerDay <= 1440) {
		c.add(p+".sessions_per_day", "%v is out of range (expected a number above 0 and at most 1440)", g.SessionsPerDay)
	}
	if msg := g.Diurnal.check(); msg != "" {
		c.add(p+".diurnal", "%s", msg)
	}
	if !(g.TimezoneSpread >= 0 && g.TimezoneSpread <= 14) {
		c.add(p+".timezone_spread_hours", "%v is out of range (expected a number of hours from 0 to 14)", g.TimezoneSpread)
	}
	sl := g.SessionLength
	if sl.Median <= 0 {
		c.add(p+".session_length.median", "%s is out of range (expected a duration above 0)", sl.Median)
	} else if sl.P90 < sl.Median {
		c.add(p+".session_length.p90", "%s is below the median %s (expected p90 ≥ median)", sl.P90, sl.Median)
	}
	c.shares(p+".platforms", g.Platforms, Platforms(), "platform")
	c.shares(p+".native_versions", g.NativeVersions, nil, "native version")
	for _, v := range sortedKeys(g.NativeVersions) {
		if !IsSemver(v) {
			c.add(childPath(p+".native_versions", v), "%s is not a semantic version (expected a version such as 1.2.0)", quoteShort(v))
		}
	}
	c.shares(p+".networks", g.Networks, sortedKeys(c.s.Network), "network profile")
	c.channelChoice(p, g.Channel, g.SelfAssign)
	c.updateMode(p+".update_mode", g.UpdateMode)
	c.directUpdate(p, g.DirectUpdate, g.UpdateMode)
	c.periodicCheck(p+".periodic_check", g.PeriodicCheck)
	if !IsSemver(g.PluginVersion) {
		c.add(p+".plugin_version", "%s is not a semantic version (expected a plugin version such as 8.51.14)", quoteShort(g.PluginVersion))
	}
	if g.ProcessKeptFor < 0 {
		c.add(p+".process_kept_for", "%s is negative (expected a duration of 0 or more)", g.ProcessKeptFor)
	}
	if w := g.MaintenanceWindow; w != nil {
		c.window(p+".maintenance_window", w)
	}
	if j := g.Join; j != nil {
		jp := p + ".join"
		if j.Devices == 0 && c.s.Fleet.Devices > 0 {
			c.missingOr(jp+".devices", "0", "a number of devices joining during the run, from 1 to 10000000")
		} else if j.Devices < 0 || j.Devices > MaxDevices {
			c.add(jp+".devices", "%d is out of range (expected a whole number from 0 to 10000000)", j.Devices)
		}
		if j.To == 0 && c.s.Run.Duration <= 0 {
			// run.duration is missing (reported there); join.to defaults to it.
		} else if j.To <= j.From {
			c.add(jp+".to", "%s is not after from (%s)", j.To, j.From)
		} else if d := c.s.Run.Duration; d > 0 && j.To > d {
			c.add(jp+".to", "%s is after the end of the run (%s)", j.To, d)
		}
	}
	c.rate(p+".churn_per_day", g.ChurnPerDay)
	c.checkArms(g, p)
}

func (c *checker) channelChoice(p, channel, selfAssign string) {
	if channel != "" {
		c.channelRef(p+".channel", channel)
	}
	if selfAssign == "" {
		return
	}
	ch := c.s.ChannelByName(selfAssign)
	if ch == nil {
		c.channelRef(p+".self_assign", selfAssign)
	} else if !ch.AllowSelfSet {
		c.add(p+".self_assign", "channel %q does not allow self-assign (expected a channel with allow_self_set: true)", selfAssign)
	}
}

func (c *checker) updateMode(path, mode string) {
	if slices.Contains(UpdateModes(), mode) {
		return
	}
	for _, m := range UpdateModes() {
		if strings.EqualFold(m, mode) {
			c.add(path, "%s is not an update mode (did you mean %q? the case matters)", quoteShort(mode), m)
			return
		}
	}
	c.add(path, "%s is not an update mode (expected one of: %s)", quoteShort(mode), strings.Join(UpdateModes(), ", "))
}

// directUpdate checks the deprecated directUpdate: the plugin reads it only
// when autoUpdate is true, which is update_mode atBackground.
func (c *checker) directUpdate(p, v, mode string) {
	switch {
	case v == "":
	case !slices.Contains(DirectUpdates(), v):
		c.add(p+".direct_update", "%s is not a directUpdate value (expected one of: %s)", quoteShort(v), strings.Join(DirectUpdates(), ", "))
	case mode != ModeAtBackground:
		c.add(p+".direct_update", "is read only with update_mode atBackground (autoUpdate: true); with %q write the mode alone", mode)
	}
}

// EffectiveMode is the update mode a segment's plugin runs in: the
// update_mode, or with autoUpdate true (atBackground) the deprecated
// directUpdate's mode (A/CapacitorUpdaterPlugin.java:2126).
func (g *Segment) EffectiveMode() string {
	if g.UpdateMode != ModeAtBackground {
		return g.UpdateMode
	}
	switch g.DirectUpdate {
	case "true", ModeAlways:
		return ModeAlways
	case ModeAtInstall, ModeOnLaunch:
		return g.DirectUpdate
	}
	return g.UpdateMode
}

func (c *checker) periodicCheck(path string, d Duration) {
	if d != 0 && d < MinPeriodicCheck {
		c.add(path, "%s is too often (expected 0 for none, or at least 600s as the plugin allows)", d)
	}
}

func (c *checker) window(p string, w *Window) {
	start, okS := parseClock(w.Start)
	end, okE := parseClock(w.End)
	if !okS {
		c.add(p+".start", "%s is not a time of day (expected HH:MM, e.g. 02:00)", quoteShort(w.Start))
	}
	if !okE {
		c.add(p+".end", "%s is not a time of day (expected HH:MM, e.g. 04:00)", quoteShort(w.End))
	}
	if okS && okE && start == end {
		c.add(p, "starts and ends at %s (expected a window of some length)", w.Start)
	}
}

// parseClock reads "HH:MM" into minutes after midnight.
func parseClock(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%2d:%2d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	for _, r := range s[:2] + s[3:] {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	return h*60 + m, true
}

// Minutes returns the window's start and end in minutes after local
// midnight (end may be below start: the window wraps midnight).
func (w Window) Minutes() (start, end int) {
	start, _ = parseClock(w.Start)
	end, _ = parseClock(w.End)
	return start, end
}

// Contains reports whether a local minute of the day (0–1439) falls in
// the window.
func (w Window) Contains(minute int) bool {
	start, end := w.Minutes()
	if start <= end {
		return minute >= start && minute < end
	}
	return minute >= start || minute < end
}

func (c *checker) checkArms(g *Segment, p string) {
	if len(g.Arms) == 0 {
		return
	}
	if len(g.Arms) == 1 {
		c.add(p+".arms", "one arm (expected at least two arms to compare, or none)")
	}
	seen := map[string]bool{}
	sum, ok := 0.0, true
	for i, a := range g.Arms {
		ap := indexPath(p+".arms", i)
		switch {
		case a.Name == "":
			c.add(ap+".name", "missing (expected an arm name)")
		case strings.ContainsAny(a.Name, "/ \t"):
			c.add(ap+".name", "%s has a slash or a space (expected a plain name)", quoteShort(a.Name))
		case seen[a.Name]:
			c.add(ap+".name", "arm %q is defined twice", a.Name)
		}
		seen[a.Name] = true
		if !(a.Share >= 0 && a.Share <= 1) {
			c.add(ap+".share", "%v is out of range (expected a number from 0 to 1)", a.Share)
			ok = false
		} else {
			sum += a.Share
		}
		if a.UpdateMode != "" {
			c.updateMode(ap+".update_mode", a.UpdateMode)
		}
		if a.PeriodicCheck != nil {
			c.periodicCheck(ap+".periodic_check", *a.PeriodicCheck)
		}
		c.channelChoice(ap, a.Channel, a.SelfAssign)
	}
	if ok {
		c.sum(p+".arms", sum)
	}
}
