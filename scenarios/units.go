package scenarios

import "time"

// Duration is a time.Duration written as "90s", "15m", "24h" or "2d".
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ByteSize is a size written as a number of bytes or "5MB", "512KiB"
// (decimal and binary units).
type ByteSize int64

// Bandwidth is a rate written as "10Mbps", "512kbps", "1Gbps" (bits per
// second) and stored in bytes per second.
type Bandwidth int64

// Diurnal is a daily activity curve: a named shape or 24 hourly weights.
type Diurnal struct {
	Shape   string
	Weights []float64
}
