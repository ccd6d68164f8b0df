package population

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/device"
)

// Cohort is a segment, or one arm of a segment's experiment, with its
// behaviour resolved (arm overrides applied, defaults filled).
type Cohort struct {
	Name    string // "segment" or "segment/arm"
	Segment string
	Arm     string

	SessionsPerDay float64
	// hourly rate weights relative to the mean (mean 1), and their max.
	diurnal    [24]float64
	diurnalMax float64
	// TZSpreadMin spreads local time over ±minutes.
	TZSpreadMin float64
	// session length log-normal parameters (seconds).
	lenMu, lenSigma float64

	Platforms choice
	Natives   choice
	Networks  choice // names index Population.Profiles

	Channel    string
	SelfAssign string
	Push       bool
	// Plugin is how the cohort's app configures and uses the plugin.
	Plugin        device.Behaviour
	PluginVersion string
	// Window is the local maintenance window in minutes of the day
	// [Start, End), wrapping midnight when End < Start; HasWindow false
	// when updates apply at any time.
	HasWindow              bool
	WindowStart, WindowEnd int
	ChurnPerDay            float64

	// Devices installed at the start; Joining devices first launch
	// between JoinFrom and JoinTo.
	Devices          int
	Joining          int
	JoinFrom, JoinTo time.Duration
}

// choice is a weighted pick among names.
type choice struct {
	Names []string
	cum   []float64
}

func newChoice(m map[string]float64, def string) choice {
	if len(m) == 0 {
		return choice{Names: []string{def}, cum: []float64{1}}
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names) // map order must not leak into the population
	var c choice
	sum := 0.0
	for _, n := range names {
		if w := m[n]; w > 0 {
			sum += w
			c.Names = append(c.Names, n)
			c.cum = append(c.cum, sum)
		}
	}
	if sum == 0 {
		return choice{Names: []string{names[0]}, cum: []float64{1}}
	}
	for i := range c.cum {
		c.cum[i] /= sum
	}
	return c
}

// pick returns the index of the name u in [0,1) falls on.
func (c choice) pick(u float64) int {
	for i, x := range c.cum {
		if u < x {
			return i
		}
	}
	return len(c.cum) - 1
}

// InWindow reports whether a local minute of the day lies in the
// maintenance window (always true without one).
func (c *Cohort) InWindow(minuteOfDay int) bool {
	if !c.HasWindow {
		return true
	}
	if c.WindowStart <= c.WindowEnd {
		return minuteOfDay >= c.WindowStart && minuteOfDay < c.WindowEnd
	}
	return minuteOfDay >= c.WindowStart || minuteOfDay < c.WindowEnd
}

func parseHHMM(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	return h*60 + m, nil
}

func parseMode(s string) (uint8, error) {
	switch s {
	case "", scenarios.ModeAtBackground:
		return device.ModeAtBackground, nil
	case scenarios.ModeAtInstall:
		return device.ModeAtInstall, nil
	case scenarios.ModeOnLaunch:
		return device.ModeOnLaunch, nil
	case scenarios.ModeAlways:
		return device.ModeAlways, nil
	case scenarios.ModeOnlyDownload:
		return device.ModeOnlyDownload, nil
	case scenarios.ModeOff:
		return device.ModeOff, nil
	}
	return 0, fmt.Errorf("update mode %q is not one of %s", s, strings.Join(scenarios.UpdateModes(), ", "))
}

// legacyChannel reports whether a plugin version keeps the device's
// channel on the server: before 5.34.0, 6.34.0 and 7.34.0 in their majors
// (backend plugins/channel_self.ts:26, utils.ts:109).
func legacyChannel(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return true // the backend assumes an old version when it cannot parse one
	}
	return major >= 5 && major <= 7 && minor < 34
}

// cohorts resolves the segments and arms of a fleet; devices is the number
// of devices installed at the start, joinScale scales joining devices.
func cohorts(f *scenarios.Fleet, devices int, joinScale float64) ([]Cohort, error) {
	var out []Cohort
	var errs []error
	// Largest-remainder split of the installed devices over cohorts.
	type share struct {
		idx  int
		frac float64
	}
	var shares []share
	for _, seg := range f.Segments {
		arms := seg.Arms
		if len(arms) == 0 {
			arms = []scenarios.Arm{{Share: 1}}
		}
		for _, arm := range arms {
			c, err := resolve(&seg, &arm)
			if err != nil {
				errs = append(errs, fmt.Errorf("segment %q: %w", seg.Name, err))
				continue
			}
			w := seg.Share * arm.Share
			exact := w * float64(devices)
			c.Devices = int(math.Floor(exact))
			if seg.Join != nil {
				c.Joining = int(math.Round(float64(seg.Join.Devices) * arm.Share * joinScale))
				c.JoinFrom, c.JoinTo = seg.Join.From.D(), seg.Join.To.D()
			}
			shares = append(shares, share{len(out), exact - math.Floor(exact)})
			out = append(out, c)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	assigned := 0
	for _, c := range out {
		assigned += c.Devices
	}
	slices.SortStableFunc(shares, func(a, b share) int {
		switch {
		case a.frac > b.frac:
			return -1
		case a.frac < b.frac:
			return 1
		}
		return 0
	})
	for i := 0; assigned < devices && len(shares) > 0; i++ {
		out[shares[i%len(shares)].idx].Devices++
		assigned++
	}
	return out, nil
}

func resolve(seg *scenarios.Segment, arm *scenarios.Arm) (Cohort, error) {
	c := Cohort{
		Name: seg.Name, Segment: seg.Name, Arm: arm.Name,
		SessionsPerDay: seg.SessionsPerDay,
		TZSpreadMin:    seg.TimezoneSpread * 60,
		Channel:        seg.Channel, SelfAssign: seg.SelfAssign,
		Push:          seg.Push,
		PluginVersion: seg.PluginVersion,
		ChurnPerDay:   seg.ChurnPerDay,
		Platforms:     newChoice(seg.Platforms, "android"),
		Natives:       newChoice(seg.NativeVersions, "1.0.0"),
		Networks:      newChoice(seg.Networks, ""),
	}
	if arm.Name != "" {
		c.Name = seg.Name + "/" + arm.Name
	}
	eff := *seg
	if arm.UpdateMode != "" {
		eff.UpdateMode = arm.UpdateMode
	}
	mode := eff.EffectiveMode()
	period := seg.PeriodicCheck.D()
	if arm.PeriodicCheck != nil {
		period = arm.PeriodicCheck.D()
	}
	if arm.Push != nil {
		c.Push = *arm.Push
	}
	if arm.Channel != "" {
		c.Channel = arm.Channel
	}
	if arm.SelfAssign != "" {
		c.SelfAssign = arm.SelfAssign
	}
	var errs []error
	var err error
	if c.Plugin.Mode, err = parseMode(mode); err != nil {
		errs = append(errs, err)
	}
	if c.PluginVersion == "" {
		c.PluginVersion = scenarios.DefaultPluginVersion
	}
	c.Plugin.PeriodCheck = period.Milliseconds()
	c.Plugin.ProcessKeep = seg.ProcessKeptFor.D().Milliseconds()
	c.Plugin.SelfAssign = c.SelfAssign != ""
	c.Plugin.ChannelPicker = seg.ChannelPicker
	c.Plugin.LegacyChannel = legacyChannel(c.PluginVersion)
	c.Plugin.KeepFailed = seg.AutoDeleteFailed != nil && !*seg.AutoDeleteFailed
	if c.SessionsPerDay <= 0 {
		c.SessionsPerDay = 1
	}
	w := seg.Diurnal.HourlyWeights()
	for h := range w {
		c.diurnal[h] = w[h] * 24 // mean 1
		c.diurnalMax = max(c.diurnalMax, c.diurnal[h])
	}
	med, p90 := seg.SessionLength.Median.D().Seconds(), seg.SessionLength.P90.D().Seconds()
	if med <= 0 {
		med = 180
	}
	if p90 <= med {
		p90 = med * 3
	}
	c.lenMu = math.Log(med)
	c.lenSigma = (math.Log(p90) - math.Log(med)) / 1.2815515655446004
	if win := seg.MaintenanceWindow; win != nil {
		s, err1 := parseHHMM(win.Start)
		e, err2 := parseHHMM(win.End)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("maintenance window: %w", err))
		}
		c.HasWindow, c.WindowStart, c.WindowEnd = true, s, e
	}
	return c, errors.Join(errs...)
}
