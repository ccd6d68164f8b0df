package verdict

import (
	"strings"
	"testing"

	"github.com/otasim/otasim/sim/results"
)

func TestAdoptionLag(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	sum := &results.Summary{
		Cohorts: []results.CohortInfo{
			{Name: "beta", SessionsPerDay: 6},
			{Name: "enterprise", SessionsPerDay: 2, MaintenanceWindow: "02:00-04:00"},
			{Name: "occasional", SessionsPerDay: 1.2},
			{Name: "new", SessionsPerDay: 3},
			{Name: "idle", SessionsPerDay: 1},
		},
		Adoption: results.Adoption{Bundle: "1.1.0", FinalShare: 0.883, ActiveDevices: 4590, BySegment: map[string]results.CohortAdoption{
			"beta":       {FinalShare: 1, ActiveDevices: 250, TimeTo95S: f(41865)},
			"enterprise": {FinalShare: 0.329, ActiveDevices: 489},
			"occasional": {FinalShare: 0.913, ActiveDevices: 2123},
			"new":        {FinalShare: 0.94, ActiveDevices: 978, TimeTo95S: f(3600)},
			"idle":       {},
		}},
	}
	tests := []struct {
		metric string
		want   []string
		not    []string
	}{
		{"adoption.time_to_95_s", []string{
			"88.3% of 4590 active devices ran 1.1.0 at the end",
			"below 95%: enterprise 32.9% of 489 active (applies updates only in its 02:00-04:00 local window), " +
				"occasional 91.3% of 2123 active (1.2 sessions a day), new 94.0% of 978 active (3.0 sessions a day; it was at 95% after 1h00m, then fell back)",
			"at 95%: beta after 11h37m"}, []string{"idle"}},
		{"adoption.time_to_90_s", []string{"below 90%: enterprise 32.9%"}, []string{"occasional", "idle"}},
		{"adoption.final_share", nil, []string{"enterprise"}},
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			got := adoptionLag(sum, tt.metric)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q\nlacks %q", got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("%q\nnames %q", got, n)
				}
			}
		})
	}
}
