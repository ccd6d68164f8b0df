//go:build !unix

package load

import "time"

// cpuTime is unknown on this system: the saturation check then relies on
// the schedule alone.
func cpuTime() time.Duration { return 0 }
