package scenarios

// Cohort is a group of devices that behave alike: a segment, or one arm
// of a segment's experiment. The simulator builds its population from
// cohorts and reports each like a segment.
type Cohort struct {
	// Name is "segment" or "segment/arm".
	Name    string
	Segment string
	Arm     string // "" when the segment has no arms
	// Share is the cohort's share of Fleet.Devices (segment share × arm
	// share).
	Share float64
	// Behaviour is the segment with the arm's overrides applied (its Arms
	// emptied, its Share the cohort's share of the fleet).
	Behaviour Segment
}

// Cohorts returns the segment itself, or one cohort per arm with the
// arm's overrides applied.
func (g *Segment) Cohorts() []Cohort {
	base := *g
	base.Arms = nil
	if len(g.Arms) == 0 {
		return []Cohort{{Name: g.Name, Segment: g.Name, Share: g.Share, Behaviour: base}}
	}
	out := make([]Cohort, 0, len(g.Arms))
	for _, a := range g.Arms {
		b := base
		b.Share = g.Share * a.Share
		if a.UpdateMode != "" {
			b.UpdateMode = a.UpdateMode
		}
		if a.PeriodicCheck != nil {
			b.PeriodicCheck = *a.PeriodicCheck
		}
		if a.Push != nil {
			b.Push = *a.Push
		}
		if a.Channel != "" || a.SelfAssign != "" {
			// An arm that picks its channel replaces the segment's choice.
			b.Channel, b.SelfAssign = a.Channel, a.SelfAssign
		}
		out = append(out, Cohort{Name: g.Name + "/" + a.Name, Segment: g.Name, Arm: a.Name, Share: b.Share, Behaviour: b})
	}
	return out
}

// Cohorts flattens the fleet's segments and arms, in file order.
func (f *Fleet) Cohorts() []Cohort {
	var out []Cohort
	for i := range f.Segments {
		out = append(out, f.Segments[i].Cohorts()...)
	}
	return out
}
