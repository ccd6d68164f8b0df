package load

import (
	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/population"
)

// Fleet gives the info objects of a population's devices, as the rollout
// simulation's devices send them before any update: running the builtin
// bundle, asking for their cohort's channel. Nothing per device is stored.
type Fleet struct {
	pop *population.Population
	app string
}

var _ Devices = (*Fleet)(nil)

// NewFleet returns the devices of pop for the app appID.
func NewFleet(pop *population.Population, appID string) *Fleet {
	return &Fleet{pop: pop, app: appID}
}

// Len is the number of devices.
func (f *Fleet) Len() int { return f.pop.N }

// Info fills into with device i's info object.
func (f *Fleet) Info(i int, into *protocol.Info) {
	a := f.pop.Attrs(uint32(i))
	*into = protocol.Info{
		Platform: f.pop.Platform(&a), DeviceID: f.pop.DeviceID(uint32(i)), AppID: f.app,
		VersionBuild: f.pop.Native(&a), VersionOS: "17.0", VersionName: protocol.Builtin,
		PluginVersion: protocol.PluginVersion, IsProd: true, DefaultChannel: f.pop.Cohorts[a.Cohort].Channel,
	}
}
