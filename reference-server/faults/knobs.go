// Package faults holds the fault knobs of the reference server (CDN and API)
// and the middleware that applies the API ones. The knobs are swapped
// atomically at runtime through the admin API, so every request reads the
// set in force when it starts.
package faults

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// CDN error modes.
const (
	// ErrorMode5xx answers 503 with the protocol error JSON. It is also the
	// meaning of an empty mode.
	ErrorMode5xx = "5xx"
	// ErrorModeReset sends part of the response, then resets the TCP
	// connection.
	ErrorModeReset = "reset"
)

// CDN holds the knobs that act on bundle downloads.
type CDN struct {
	// LatencyMs is added before the first byte; JitterMs adds a uniform
	// random 0..JitterMs on top.
	LatencyMs int `json:"latency_ms"`
	JitterMs  int `json:"jitter_ms"`
	// BandwidthBps caps each response's body rate in bytes per second; 0 is
	// no cap.
	BandwidthBps int64 `json:"bandwidth_bps"`
	// ErrorRate is the share of downloads that fail the way ErrorMode says.
	ErrorRate float64 `json:"error_rate"`
	ErrorMode string  `json:"error_mode"`
	// TruncateRate is the share of downloads that stop before
	// Content-Length; CorruptRate the share with one byte flipped.
	TruncateRate float64 `json:"truncate_rate"`
	CorruptRate  float64 `json:"corrupt_rate"`
}

// Active reports whether any CDN fault is set.
func (c CDN) Active() bool {
	return c.LatencyMs > 0 || c.JitterMs > 0 || c.BandwidthBps > 0 ||
		c.ErrorRate > 0 || c.TruncateRate > 0 || c.CorruptRate > 0
}

// API holds the knobs that act on /updates, /stats and /channel_self.
type API struct {
	LatencyMs int `json:"latency_ms"`
	JitterMs  int `json:"jitter_ms"`
	// ErrorRate is the share of requests answered 503 server_error.
	ErrorRate float64 `json:"error_rate"`
	// RateLimitRate is the share answered 429 too_many_requests with
	// Retry-After: RetryAfterS.
	RateLimitRate float64 `json:"rate_limit_rate"`
	RetryAfterS   int     `json:"retry_after_s"`
}

// Active reports whether any API fault is set.
func (a API) Active() bool {
	return a.LatencyMs > 0 || a.JitterMs > 0 || a.ErrorRate > 0 || a.RateLimitRate > 0
}

// Knobs is the whole set of fault knobs; the zero value injects nothing.
type Knobs struct {
	CDN CDN `json:"cdn"`
	API API `json:"api"`
}

// Limits that keep a knob from stalling the server for good.
const (
	MaxLatencyMs   = 600_000 // 10 min
	MaxRetryAfterS = 86_400  // the plugin caps Retry-After at 24 h
)

// Validate reports every invalid knob at once.
func (k Knobs) Validate() error {
	var errs []error
	rate := func(name string, v float64) {
		// The negated form also rejects NaN.
		if !(v >= 0 && v <= 1) {
			errs = append(errs, fmt.Errorf("%s = %v: must be within [0, 1]", name, v))
		}
	}
	ms := func(name string, v int) {
		if v < 0 || v > MaxLatencyMs {
			errs = append(errs, fmt.Errorf("%s = %d: must be within [0, %d]", name, v, MaxLatencyMs))
		}
	}
	ms("cdn.latency_ms", k.CDN.LatencyMs)
	ms("cdn.jitter_ms", k.CDN.JitterMs)
	if k.CDN.BandwidthBps < 0 {
		errs = append(errs, fmt.Errorf("cdn.bandwidth_bps = %d: must not be negative", k.CDN.BandwidthBps))
	}
	rate("cdn.error_rate", k.CDN.ErrorRate)
	switch k.CDN.ErrorMode {
	case "", ErrorMode5xx, ErrorModeReset:
	default:
		errs = append(errs, fmt.Errorf("cdn.error_mode = %q: must be %q or %q", k.CDN.ErrorMode, ErrorMode5xx, ErrorModeReset))
	}
	rate("cdn.truncate_rate", k.CDN.TruncateRate)
	rate("cdn.corrupt_rate", k.CDN.CorruptRate)
	ms("api.latency_ms", k.API.LatencyMs)
	ms("api.jitter_ms", k.API.JitterMs)
	rate("api.error_rate", k.API.ErrorRate)
	rate("api.rate_limit_rate", k.API.RateLimitRate)
	if k.API.RetryAfterS < 0 || k.API.RetryAfterS > MaxRetryAfterS {
		errs = append(errs, fmt.Errorf("api.retry_after_s = %d: must be within [0, %d]", k.API.RetryAfterS, MaxRetryAfterS))
	}
	return errors.Join(errs...)
}

// Switch holds the knobs in force. It is safe for concurrent use: readers
// pay one atomic load, writers swap a whole validated set.
type Switch struct {
	p atomic.Pointer[Knobs]
}

// Defaults returns the knobs with no fault set, as the admin API shows
// them: the zero value with the error mode spelled out.
func Defaults() Knobs { return Knobs{CDN: CDN{ErrorMode: ErrorMode5xx}} }

// NewSwitch returns a switch holding Defaults.
func NewSwitch() *Switch {
	s := &Switch{}
	k := Defaults()
	s.p.Store(&k)
	return s
}

// Load returns the knobs in force.
func (s *Switch) Load() Knobs { return *s.p.Load() }

// Store validates k and puts it in force for the next request, an empty
// error mode spelled as ErrorMode5xx. Invalid knobs leave the current ones
// in place.
func (s *Switch) Store(k Knobs) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("faults: invalid knobs: %w", err)
	}
	if k.CDN.ErrorMode == "" {
		k.CDN.ErrorMode = ErrorMode5xx
	}
	s.p.Store(&k)
	return nil
}
