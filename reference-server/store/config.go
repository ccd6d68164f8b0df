package store

import (
	"errors"
	"time"
)

// Config configures a Store; only Path is required, and a zero field
// takes its default.
type Config struct {
	// Path is the SQLite file; bundle files go to Path + ".bundles".
	Path string
	// MaxPending bounds the events waiting for the stats writer (queued or
	// being committed); WriteEvents refuses more with ErrBusy, so that a
	// flood waits neither in memory nor past what the writer does in a
	// fraction of a second. A single call larger than the bound is
	// admitted when nothing waits.
	MaxPending int
	// DedupWindow is how long (of events' ReceivedAt) an event is
	// remembered to recognise its retry, and DedupMax how many events at
	// most: past it the window is shortened (see Stats).
	DedupWindow time.Duration
	DedupMax    int
}

// Defaults of Config.
const (
	DefaultMaxPending  = 4096
	DefaultDedupWindow = time.Hour
	DefaultDedupMax    = 1 << 20
)

func (c Config) withDefaults() Config {
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.DedupWindow == 0 {
		c.DedupWindow = DefaultDedupWindow
	}
	if c.DedupMax == 0 {
		c.DedupMax = DefaultDedupMax
	}
	return c
}

// Validate reports every problem of a configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("store: empty database path"))
	}
	if c.MaxPending < 0 || c.DedupMax < 0 || c.DedupWindow < 0 {
		errs = append(errs, errors.New("store: MaxPending, DedupWindow and DedupMax must not be negative"))
	}
	return errors.Join(errs...)
}
