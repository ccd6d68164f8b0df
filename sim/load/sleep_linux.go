//go:build linux

package load

import (
	"syscall"
	"time"
)

// fineSleep sleeps d with the kernel's precision (tens of µs). Go's
// timers wake up to a millisecond late on Linux, where the netpoller
// waits in whole milliseconds; at 1,000 requests a second that would put
// half a millisecond of the generator's own delay into every latency
// measured from the intended time. The thread blocks in nanosleep; the
// runtime hands its P to the workers meanwhile.
func fineSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
