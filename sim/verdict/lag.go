package verdict

import (
	"fmt"
	"sort"
	"strings"

	"github.com/otasim/otasim/sim/results"
)

// adoptionLag explains a fleet adoption target that failed: the share at
// the end, then each cohort below the target share with its own share,
// its own time to the target share and what holds it back (a
// maintenance window, few launches a day), the slowest first.
func adoptionLag(sum *results.Summary, metric string) string {
	pct := 95
	if _, err := fmt.Sscanf(metric, "adoption.time_to_%d_s", &pct); err != nil {
		return ""
	}
	want := float64(pct) / 100
	a := &sum.Adoption
	var b strings.Builder
	fmt.Fprintf(&b, "%.1f%% of %d active devices ran %s at the end", 100*a.FinalShare, a.ActiveDevices, a.Bundle)
	type lag struct {
		name  string
		share float64
		text  string
	}
	var lags []lag
	var reached []string
	for _, co := range sum.Cohorts {
		ca, ok := a.BySegment[co.Name]
		if !ok || ca.ActiveDevices == 0 {
			continue
		}
		var at *float64
		switch pct {
		case 50:
			at = ca.TimeTo50S
		case 90:
			at = ca.TimeTo90S
		case 95:
			at = ca.TimeTo95S
		}
		if ca.FinalShare >= want {
			if at != nil {
				reached = append(reached, fmt.Sprintf("%s after %s", co.Name, hoursMinutes(*at)))
			}
			continue
		}
		why := fmt.Sprintf("%.1f sessions a day", co.SessionsPerDay)
		if co.MaintenanceWindow != "" {
			why = "applies updates only in its " + co.MaintenanceWindow + " local window"
		}
		if at != nil {
			why += fmt.Sprintf("; it was at %d%% after %s, then fell back", pct, hoursMinutes(*at))
		}
		lags = append(lags, lag{co.Name, ca.FinalShare,
			fmt.Sprintf("%s %.1f%% of %d active (%s)", co.Name, 100*ca.FinalShare, ca.ActiveDevices, why)})
	}
	sort.SliceStable(lags, func(i, j int) bool { return lags[i].share < lags[j].share })
	if len(lags) > 0 {
		fmt.Fprintf(&b, "; below %d%%: ", pct)
		for i, l := range lags {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(l.text)
		}
	}
	if len(reached) > 0 {
		fmt.Fprintf(&b, "; at %d%%: %s", pct, strings.Join(reached, ", "))
	}
	return b.String()
}

// hoursMinutes prints virtual seconds as "13h05m".
func hoursMinutes(s float64) string {
	m := int(s / 60)
	return fmt.Sprintf("%dh%02dm", m/60, m%60)
}
