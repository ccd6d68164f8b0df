//go:build !linux

package load

import "time"

// fineSleep is time.Sleep where no finer sleep is wired in.
func fineSleep(d time.Duration) { time.Sleep(d) }
