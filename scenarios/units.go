package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// The unit types decode from YAML through goccy/go-yaml's
// BytesUnmarshaler (so yaml.Unmarshal works on them too) and print back in
// the same notation, so a value read from a scenario round-trips through
// summaries and `otasim scenarios show`.
var (
	_ yaml.BytesUnmarshaler     = (*Duration)(nil)
	_ yaml.InterfaceMarshaler   = Duration(0)
	_ json.Marshaler            = Duration(0)
	_ yaml.BytesUnmarshaler     = (*ByteSize)(nil)
	_ yaml.InterfaceMarshaler   = ByteSize(0)
	_ json.Marshaler            = ByteSize(0)
	_ yaml.BytesUnmarshaler     = (*Bandwidth)(nil)
	_ yaml.InterfaceMarshaler   = Bandwidth(0)
	_ json.Marshaler            = Bandwidth(0)
	_ yaml.InterfaceUnmarshaler = (*Diurnal)(nil)
	_ yaml.InterfaceMarshaler   = Diurnal{}
	_ json.Marshaler            = Diurnal{}
)

// Duration is a time.Duration written as "90s", "15m", "24h", "1h30m" or
// "2d" (days of 24 hours). A plain number is an error: it has no unit.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Seconds returns the duration in seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

const expectDuration = "a duration such as 90s or 24h"

// ParseDuration reads a duration in the scenario notation.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("%s has no unit", s)
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%s is negative", s)
	}
	var total time.Duration
	rest := s
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		days, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || !(days >= 0 && days <= 100000) {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		total = time.Duration(days * 24 * float64(time.Hour))
		rest = rest[i+1:]
	}
	if rest != "" {
		if rest[0] == '+' || rest[0] == '-' {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		if total > math.MaxInt64-d {
			return 0, fmt.Errorf("%q is too long", s)
		}
		total += d
	}
	return Duration(total), nil
}

// String prints the duration compactly: "1h30m", "24h", "2d", "1m30s",
// "0s" (days only from 2d, where they read better than hours).
func (d Duration) String() string {
	td := time.Duration(d)
	if td == 0 {
		return "0s"
	}
	if td < 0 {
		return td.String()
	}
	if days := td / (24 * time.Hour); days >= 2 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(days), 10) + "d"
	}
	s := td.String()
	// time.Duration prints "1h30m0s" and "2h0m0s": drop the zero tails.
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// UnmarshalYAML implements yaml.BytesUnmarshaler.
func (d *Duration) UnmarshalYAML(b []byte) error {
	s, err := unquote(b)
	if err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%w (expected %s)", err, expectDuration)
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.InterfaceMarshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the duration as a string such as "1h30m".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ByteSize is a size written as a number of bytes or "5MB", "5 MB",
// "512KiB", "1.5GB": KB, MB, GB are powers of 1000, KiB, MiB, GiB powers
// of 1024.
type ByteSize int64

// Bytes returns the size as an int64.
func (s ByteSize) Bytes() int64 { return int64(s) }

const expectSize = "a size such as 5MB, 512KiB or a number of bytes"

type unit struct {
	name   string
	factor float64
}

// sizeUnits are ordered longest suffix first so "KiB" is tried before "B".
func sizeUnits() []unit {
	return []unit{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"B", 1},
	}
}

// ParseByteSize reads a size in the scenario notation.
func ParseByteSize(s string) (ByteSize, error) {
	v, err := parseWithUnits(strings.TrimSpace(s), sizeUnits(), true)
	if err != nil {
		return 0, err
	}
	return ByteSize(v), nil
}

// parseWithUnits reads "<number><space?><unit>"; bare numbers are allowed
// when bareOK (they mean the unit of factor 1).
func parseWithUnits(s string, units []unit, bareOK bool) (int64, error) {
	if s == "" {
		return 0, errors.New("empty value")
	}
	num, factor := s, 0.0
	for _, u := range units {
		if strings.HasSuffix(s, u.name) {
			num, factor = strings.TrimSpace(strings.TrimSuffix(s, u.name)), u.factor
			break
		}
	}
	if factor == 0 {
		if !bareOK {
			return 0, fmt.Errorf("%q has no known unit", s)
		}
		factor = 1
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || strings.ContainsAny(num, "xXpP_") || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number with a unit", s)
	}
	if f < 0 {
		return 0, fmt.Errorf("%s is negative", s)
	}
	v := f * factor
	if v >= math.MaxInt64/2 {
		return 0, fmt.Errorf("%s is too large", s)
	}
	return int64(math.Round(v)), nil
}

// String prints the size in the largest unit that divides it exactly.
func (s ByteSize) String() string {
	n := int64(s)
	if n <= 0 {
		return strconv.FormatInt(n, 10) + "B"
	}
	for _, u := range []unit{{"GB", 1e9}, {"GiB", 1 << 30}, {"MB", 1e6}, {"MiB", 1 << 20}, {"KB", 1e3}, {"KiB", 1 << 10}} {
		f := int64(u.factor)
		if n%f == 0 {
			return strconv.FormatInt(n/f, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// UnmarshalYAML implements yaml.BytesUnmarshaler.
func (s *ByteSize) UnmarshalYAML(b []byte) error {
	str, err := unquote(b)
	if err != nil {
		return err
	}
	v, err := ParseByteSize(str)
	if err != nil {
		return fmt.Errorf("%w (expected %s)", err, expectSize)
	}
	*s = v
	return nil
}

// MarshalYAML implements yaml.InterfaceMarshaler.
func (s ByteSize) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON writes the size as a number of bytes (summaries compute on it).
func (s ByteSize) MarshalJSON() ([]byte, error) { return []byte(strconv.FormatInt(int64(s), 10)), nil }

// UnmarshalJSON reads a number of bytes or a size string.
func (s *ByteSize) UnmarshalJSON(b []byte) error {
	var n int64
	if err := json.Unmarshal(b, &n); err == nil {
		*s = ByteSize(n)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("size: %w", err)
	}
	v, err := ParseByteSize(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Bandwidth is a rate written as "10Mbps", "512kbps", "1Gbps" (bits per
// second) or "100KB/s", "2MiB/s" (bytes per second), stored in bytes per
// second.
type Bandwidth int64

// BytesPerSecond returns the rate in bytes per second.
func (b Bandwidth) BytesPerSecond() int64 { return int64(b) }

const expectBandwidth = "a bandwidth such as 10Mbps or 100KB/s"

func bandwidthUnits() []unit {
	return []unit{
		{"KiB/s", 1 << 10}, {"MiB/s", 1 << 20}, {"GiB/s", 1 << 30},
		{"KB/s", 1e3}, {"kB/s", 1e3}, {"MB/s", 1e6}, {"GB/s", 1e9}, {"B/s", 1},
		{"Gbps", 1e9 / 8}, {"Mbps", 1e6 / 8}, {"kbps", 1e3 / 8}, {"Kbps", 1e3 / 8}, {"bps", 1.0 / 8},
	}
}

// ParseBandwidth reads a rate in the scenario notation.
func ParseBandwidth(s string) (Bandwidth, error) {
	v, err := parseWithUnits(strings.TrimSpace(s), bandwidthUnits(), false)
	if err != nil {
		return 0, err
	}
	return Bandwidth(v), nil
}

// String prints the rate in bits per second when exact ("12Mbps"), else
// in bytes per second ("100KB/s", "1234B/s").
func (b Bandwidth) String() string {
	n := int64(b)
	if n <= 0 {
		return strconv.FormatInt(n, 10) + "B/s"
	}
	bits := n * 8
	for _, u := range []unit{{"Gbps", 1e9}, {"Mbps", 1e6}, {"kbps", 1e3}} {
		if f := int64(u.factor); bits%f == 0 {
			return strconv.FormatInt(bits/f, 10) + u.name
		}
	}
	for _, u := range []unit{{"MB/s", 1e6}, {"MiB/s", 1 << 20}, {"KB/s", 1e3}, {"KiB/s", 1 << 10}} {
		if f := int64(u.factor); n%f == 0 {
			return strconv.FormatInt(n/f, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B/s"
}

// UnmarshalYAML implements yaml.BytesUnmarshaler.
func (b *Bandwidth) UnmarshalYAML(data []byte) error {
	s, err := unquote(data)
	if err != nil {
		return err
	}
	v, err := ParseBandwidth(s)
	if err != nil {
		return fmt.Errorf("%w (expected %s)", err, expectBandwidth)
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.InterfaceMarshaler.
func (b Bandwidth) MarshalYAML() (any, error) { return b.String(), nil }

// MarshalJSON writes the rate as a string such as "12Mbps".
func (b Bandwidth) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }

// UnmarshalJSON reads a rate string.
func (b *Bandwidth) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("bandwidth: %w", err)
	}
	v, err := ParseBandwidth(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// unquote turns the raw YAML bytes of a scalar into its string value.
func unquote(b []byte) (string, error) {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return "", fmt.Errorf("not a scalar: %w", err)
	}
	return s, nil
}
