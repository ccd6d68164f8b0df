package scenarios

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{in: "90s", want: 90 * time.Second},
		{in: "15m", want: 15 * time.Minute},
		{in: "24h", want: 24 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "2d", want: 48 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0.5d", want: 12 * time.Hour},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "0s", want: 0},
		{in: "90", err: true},
		{in: "0", err: true},
		{in: "-5m", err: true},
		{in: "", err: true},
		{in: "5 minutes", err: true},
		{in: "d", err: true},
		{in: "2d-1h", err: true},
		{in: "NaNd", err: true},
		{in: "1e9d", err: true},
		{in: "3000000h", err: true},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseDuration(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && got.D() != tc.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tc.in, got.D(), tc.want)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{in: "5MB", want: 5_000_000},
		{in: "5 MB", want: 5_000_000},
		{in: "512KiB", want: 512 << 10},
		{in: "1.5GB", want: 1_500_000_000},
		{in: "2MiB", want: 2 << 20},
		{in: "256KB", want: 256_000},
		{in: "1234", want: 1234},
		{in: "100B", want: 100},
		{in: "5 megs", err: true},
		{in: "-1MB", err: true},
		{in: "MB", err: true},
		{in: "0x10MB", err: true},
		{in: "1e30GB", err: true},
	}
	for _, tc := range tests {
		got, err := ParseByteSize(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseByteSize(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && got.Bytes() != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestParseBandwidth(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // bytes per second
		err  bool
	}{
		{in: "10Mbps", want: 1_250_000},
		{in: "512kbps", want: 64_000},
		{in: "1Gbps", want: 125_000_000},
		{in: "1.5Mbps", want: 187_500},
		{in: "100KB/s", want: 100_000},
		{in: "2MiB/s", want: 2 << 20},
		{in: "800bps", want: 100},
		{in: "100", err: true},
		{in: "fast", err: true},
		{in: "-1Mbps", err: true},
	}
	for _, tc := range tests {
		got, err := ParseBandwidth(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseBandwidth(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && got.BytesPerSecond() != tc.want {
			t.Errorf("ParseBandwidth(%q) = %d B/s, want %d", tc.in, got, tc.want)
		}
	}
}

// TestUnitsRoundTrip prints each unit and reads it back, through String,
// YAML and JSON.
func TestUnitsRoundTrip(t *testing.T) {
	durations := []Duration{0, Duration(90 * time.Second), Duration(90 * time.Minute), Duration(48 * time.Hour),
		Duration(36 * time.Hour), Duration(500 * time.Millisecond), Duration(time.Hour + time.Second)}
	for _, d := range durations {
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("duration %v: String %q reads back as %v, %v", d.D(), d.String(), back.D(), err)
		}
		roundTrip(t, d)
	}
	sizes := []ByteSize{1024, 5_000_000, 512 << 10, 1_500_000_000, 1234567, 3 << 30}
	for _, s := range sizes {
		back, err := ParseByteSize(s.String())
		if err != nil || back != s {
			t.Errorf("size %d: String %q reads back as %d, %v", s, s.String(), back, err)
		}
		roundTrip(t, s)
	}
	rates := []Bandwidth{1_250_000, 64_000, 187_500, 100_000, 2 << 20, 1234567, 125_000_000}
	for _, b := range rates {
		back, err := ParseBandwidth(b.String())
		if err != nil || back != b {
			t.Errorf("bandwidth %d: String %q reads back as %d, %v", b, b.String(), back, err)
		}
		roundTrip(t, b)
	}
	weights := make([]float64, 24)
	weights[20] = 2
	for _, d := range []Diurnal{{Shape: "office"}, {Shape: "flat"}, {Weights: weights}} {
		roundTrip(t, d)
	}
}

// roundTrip marshals v to YAML and JSON and reads it back into a new T.
func roundTrip[T comparableUnit](t *testing.T, v T) {
	t.Helper()
	y, err := yaml.Marshal(map[string]T{"v": v})
	if err != nil {
		t.Fatalf("yaml.Marshal(%v): %v", v, err)
	}
	var fromYAML map[string]T
	if err := yaml.Unmarshal(y, &fromYAML); err != nil {
		t.Fatalf("yaml.Unmarshal(%q): %v", y, err)
	}
	if !equalUnit(fromYAML["v"], v) {
		t.Errorf("YAML round trip of %v: %q gives %v", v, y, fromYAML["v"])
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%v): %v", v, err)
	}
	var fromJSON T
	if err := json.Unmarshal(j, &fromJSON); err != nil {
		t.Fatalf("json.Unmarshal(%s): %v", j, err)
	}
	if !equalUnit(fromJSON, v) {
		t.Errorf("JSON round trip of %v: %s gives %v", v, j, fromJSON)
	}
}

type comparableUnit interface {
	Duration | ByteSize | Bandwidth | Diurnal
}

func equalUnit[T comparableUnit](a, b T) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestUnitsThroughGoccyDecoder(t *testing.T) {
	// The unit types also work with a plain yaml.Unmarshal, for callers
	// that decode a fragment outside Parse.
	var v struct {
		D  Duration  `yaml:"d"`
		S  ByteSize  `yaml:"s"`
		B  Bandwidth `yaml:"b"`
		W  Diurnal   `yaml:"w"`
		S2 ByteSize  `yaml:"s2"`
	}
	err := yaml.Unmarshal([]byte("d: 1h30m\ns: 5 MB\nb: 10Mbps\nw: evening\ns2: 2048\n"), &v)
	if err != nil {
		t.Fatal(err)
	}
	if v.D.D() != 90*time.Minute || v.S != 5_000_000 || v.B != 1_250_000 || v.W.Shape != "evening" || v.S2 != 2048 {
		t.Errorf("decoded %+v", v)
	}
	if err := yaml.Unmarshal([]byte("d: 90\n"), &v); err == nil {
		t.Error("a duration without a unit decoded")
	}
}

func TestDiurnalWeights(t *testing.T) {
	for _, shape := range DiurnalShapes() {
		w := Diurnal{Shape: shape}.HourlyWeights()
		sum := 0.0
		for _, x := range w {
			if x < 0 {
				t.Errorf("%s: negative weight", shape)
			}
			sum += x
		}
		if sum < 0.999999 || sum > 1.000001 {
			t.Errorf("%s: weights sum to %v", shape, sum)
		}
	}
	office := Diurnal{Shape: "office"}.HourlyWeights()
	if office[10] <= office[3]*10 {
		t.Errorf("office curve: 10:00 %v is not well above 03:00 %v", office[10], office[3])
	}
	custom := make([]float64, 24)
	custom[5] = 3
	if w := (Diurnal{Weights: custom}).HourlyWeights(); w[5] != 1 || w[4] != 0 {
		t.Errorf("custom weights normalised to %v", w)
	}
}
