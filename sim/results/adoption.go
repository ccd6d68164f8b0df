package results

// AdoptionOf reads a bundle's adoption off a run's series: the share of
// the active devices running it (a bundle for which judged is true counts
// as it: the same files delivered another way), its times to 50, 90 and
// 95% counted from firstActionS (none when it is nil: never released),
// for the fleet and per cohort. A single run and a run merged from shards
// read it the same way.
func AdoptionOf(s *Series, bundle string, firstActionS *float64, cohorts []string, judged func(string) bool) Adoption {
	a := Adoption{Bundle: bundle, BySegment: map[string]CohortAdoption{}}
	if n := len(s.Active); n > 0 {
		a.ActiveDevices = s.Active[n-1]
	}
	if bundle == "" {
		return a
	}
	a.FirstActionS = firstActionS
	one := func(key string) (t50, t90, t95 *float64, final float64) {
		share := judgedShare(s.Adoption[key], judged)
		if len(share) > 0 {
			final = share[len(share)-1]
		}
		if firstActionS == nil {
			return nil, nil, nil, final
		}
		from := *firstActionS
		return TimeTo(s.T, share, 0.5, from), TimeTo(s.T, share, 0.9, from), TimeTo(s.T, share, 0.95, from), final
	}
	a.TimeTo50S, a.TimeTo90S, a.TimeTo95S, a.FinalShare = one("all")
	for _, c := range cohorts {
		var ca CohortAdoption
		ca.TimeTo50S, ca.TimeTo90S, ca.TimeTo95S, ca.FinalShare = one(c)
		if col := s.ActiveByCohort[c]; len(col) > 0 {
			ca.ActiveDevices = col[len(col)-1]
		}
		a.BySegment[c] = ca
	}
	return a
}

// judgedShare sums the share columns of the bundles judged counts.
func judgedShare(byBundle map[string][]float64, judged func(string) bool) []float64 {
	var out []float64
	for name, col := range byBundle {
		if !judged(name) {
			continue
		}
		if out == nil {
			out = make([]float64, len(col))
		}
		for i := range min(len(col), len(out)) {
			out[i] += col[i]
		}
	}
	return out
}
