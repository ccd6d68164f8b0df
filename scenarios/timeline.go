package scenarios

import (
	"reflect"
	"slices"
	"strings"
)

// Step is one timeline entry: at a virtual time, exactly one action.
//
//   - at: 2h
//     rollout: {channel: production, bundle: 1.2.0, percent: 10}
//
// Parse sorts the steps by At (stably, so steps at the same time keep
// their order in the file).
type Step struct {
	At Duration `yaml:"at"`

	Release     *Release     `yaml:"release,omitempty"`
	Rollout     *Rollout     `yaml:"rollout,omitempty"`
	SetPercent  *SetPercent  `yaml:"set_percent,omitempty"`
	Pause       *ChannelRef  `yaml:"pause,omitempty"`
	Resume      *ChannelRef  `yaml:"resume,omitempty"`
	Promote     *ChannelRef  `yaml:"promote,omitempty"`
	Rollback    *ChannelRef  `yaml:"rollback,omitempty"`
	Guard       *Guard       `yaml:"guard,omitempty"`
	CDNFaults   *CDNFaults   `yaml:"cdn_faults,omitempty"`
	APIFaults   *APIFaults   `yaml:"api_faults,omitempty"`
	ClearFaults *ClearFaults `yaml:"clear_faults,omitempty"`
}

// Timeline action names, as written in YAML and returned by Step.Action.
const (
	ActionRelease     = "release"
	ActionRollout     = "rollout"
	ActionSetPercent  = "set_percent"
	ActionPause       = "pause"
	ActionResume      = "resume"
	ActionPromote     = "promote"
	ActionRollback    = "rollback"
	ActionGuard       = "guard"
	ActionCDNFaults   = "cdn_faults"
	ActionAPIFaults   = "api_faults"
	ActionClearFaults = "clear_faults"
)

// ActionNames lists the timeline actions in the order of Step's fields.
func ActionNames() []string {
	keys, _ := fieldsOf(reflect.TypeFor[Step]())
	return slices.DeleteFunc(keys, func(k string) bool { return k == "at" })
}

// actionChecker is implemented by every action type.
type actionChecker interface {
	check(c *checker, path string)
}

// actions returns the step's actions that are set, by YAML name.
func (s *Step) actions() (names []string, values []any) {
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		names = append(names, name)
		values = append(values, f.Interface())
	}
	return names, values
}

// Action returns the step's action: its YAML name (one of the Action*
// constants) and a pointer to it (*Release, *Rollout, *SetPercent,
// *ChannelRef, *Guard, *CDNFaults, *APIFaults or *ClearFaults). A valid
// step has exactly one; an empty step gives "" and nil.
func (s *Step) Action() (name string, v any) {
	names, values := s.actions()
	if len(names) == 0 {
		return "", nil
	}
	return names[0], values[0]
}

func (c *checker) checkTimeline() {
	end := c.s.Run.Duration
	for i := range c.s.Timeline {
		st := &c.s.Timeline[i]
		p := indexPath("timeline", i)
		if end > 0 && st.At > end {
			c.add(p+".at", "%s is after the end of the run (expected at most run.duration, %s)", st.At, end)
		}
		names, values := st.actions()
		switch len(names) {
		case 0:
			c.add(p, "no action (expected exactly one of: %s)", strings.Join(ActionNames(), ", "))
		case 1:
		default:
			c.add(p, "%d actions (%s) in one step (expected exactly one; write one step for each)", len(names), strings.Join(names, ", "))
		}
		for j, v := range values {
			if a, ok := v.(actionChecker); ok {
				a.check(c, p+"."+names[j])
			}
		}
	}
	c.checkRolloutOrder()
}

// checkRolloutOrder reports steps that act on a rollout (set_percent,
// pause, resume, promote) when no rollout on that channel starts before
// them: the server would answer 409.
func (c *checker) checkRolloutOrder() {
	order := make([]int, len(c.s.Timeline))
	for i := range order {
		order[i] = i
	}
	tl := c.s.Timeline
	slices.SortStableFunc(order, func(a, b int) int { return cmpDuration(tl[a].At, tl[b].At) })
	started := map[string]bool{}
	for _, i := range order {
		st := &tl[i]
		if st.Rollout != nil {
			started[st.Rollout.Channel] = true
		}
		if names, _ := st.actions(); len(names) != 1 {
			continue // reported as such
		}
		name, v := st.Action()
		var channel string
		switch a := v.(type) {
		case *SetPercent:
			channel = a.Channel
		case *ChannelRef:
			if name == ActionRollback {
				continue
			}
			channel = a.Channel
		default:
			continue
		}
		if channel != "" && c.s.ChannelByName(channel) != nil && !started[channel] {
			c.add(indexPath("timeline", i)+"."+name+".channel",
				"no rollout on channel %q starts at or before %s (expected a rollout step first)", channel, st.At)
		}
	}
}

func cmpDuration(a, b Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sortTimeline orders the steps by time, keeping the file's order for
// steps at the same time.
func sortTimeline(s *Scenario) {
	slices.SortStableFunc(s.Timeline, func(a, b Step) int { return cmpDuration(a.At, b.At) })
}

// ReleasedBundle returns the bundle of the last release or rollout step,
// the default bundle judged by the adoption target ("" when none).
func (s *Scenario) ReleasedBundle() string {
	last := ""
	var at Duration = -1
	for _, st := range s.Timeline {
		var b string
		switch {
		case st.Release != nil:
			b = st.Release.Bundle
		case st.Rollout != nil:
			b = st.Rollout.Bundle
		default:
			continue
		}
		if st.At >= at {
			last, at = b, st.At
		}
	}
	return last
}
