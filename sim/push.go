package sim

import "github.com/otasim/otasim/sim/device"

// pushConnect opens the device's push socket for its session.
func (e *engine) pushConnect(i uint32, s *device.State) {}

// pushDisconnect closes it at the end of the session.
func (e *engine) pushDisconnect(i uint32) {}
