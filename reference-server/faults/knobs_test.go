package faults

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestKnobsValidate(t *testing.T) {
	tests := []struct {
		name string
		k    Knobs
		want []string // substrings of the error; none means valid
	}{
		{name: "zero", k: Knobs{}},
		{name: "all set", k: Knobs{
			CDN: CDN{LatencyMs: 100, JitterMs: 50, BandwidthBps: 1 << 20, ErrorRate: 0.1, ErrorMode: ErrorModeReset, TruncateRate: 1, CorruptRate: 0.5},
			API: API{LatencyMs: 10, JitterMs: 5, ErrorRate: 1, RateLimitRate: 0.2, RetryAfterS: 60},
		}},
		{name: "5xx mode", k: Knobs{CDN: CDN{ErrorRate: 1, ErrorMode: ErrorMode5xx}}},
		{name: "rates out of range", k: Knobs{
			CDN: CDN{ErrorRate: 1.5, TruncateRate: -0.1, CorruptRate: math.NaN()},
			API: API{ErrorRate: 2, RateLimitRate: math.Inf(1)},
		}, want: []string{"cdn.error_rate", "cdn.truncate_rate", "cdn.corrupt_rate", "api.error_rate", "api.rate_limit_rate"}},
		{name: "negative values", k: Knobs{
			CDN: CDN{LatencyMs: -1, JitterMs: -2, BandwidthBps: -3},
			API: API{LatencyMs: -1, JitterMs: -1, RetryAfterS: -1},
		}, want: []string{"cdn.latency_ms", "cdn.jitter_ms", "cdn.bandwidth_bps", "api.latency_ms", "api.jitter_ms", "api.retry_after_s"}},
		{name: "too large", k: Knobs{
			CDN: CDN{LatencyMs: MaxLatencyMs + 1},
			API: API{RetryAfterS: MaxRetryAfterS + 1},
		}, want: []string{"cdn.latency_ms", "api.retry_after_s"}},
		{name: "unknown mode", k: Knobs{CDN: CDN{ErrorMode: "timeout"}}, want: []string{`cdn.error_mode = "timeout"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.k.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors about %v", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, missing %q", err, w)
				}
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tt.want) {
				t.Errorf("Validate() reported %d problems, want %d: %q", got, len(tt.want), err)
			}
		})
	}
}

func TestSwitchStore(t *testing.T) {
	s := NewSwitch()
	if got := s.Load(); got != Defaults() || got.CDN.Active() || got.API.Active() {
		t.Fatalf("new switch holds %+v, want the defaults, no fault active", got)
	}
	good := Knobs{API: API{RateLimitRate: 0.5, RetryAfterS: 30}}
	if err := s.Store(good); err != nil {
		t.Fatalf("Store(good) = %v", err)
	}
	good.CDN.ErrorMode = ErrorMode5xx // spelled out by Store
	if err := s.Store(Knobs{CDN: CDN{ErrorRate: 3}}); err == nil {
		t.Fatal("Store(invalid) = nil, want an error")
	}
	if got := s.Load(); got != good {
		t.Fatalf("after a rejected Store the switch holds %+v, want %+v", got, good)
	}
}

func TestKnobsJSONNames(t *testing.T) {
	// The admin API documents these exact names and defaults.
	b, err := json.Marshal(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cdn":{"latency_ms":0,"jitter_ms":0,"bandwidth_bps":0,"error_rate":0,"error_mode":"5xx","truncate_rate":0,"corrupt_rate":0},` +
		`"api":{"latency_ms":0,"jitter_ms":0,"error_rate":0,"rate_limit_rate":0,"retry_after_s":0}}`
	if string(b) != want {
		t.Fatalf("JSON of zero knobs:\n got %s\nwant %s", b, want)
	}
}

func FuzzKnobsJSON(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"cdn":{"corrupt_rate":0.05},"api":{"rate_limit_rate":0.01,"retry_after_s":60}}`))
	f.Add([]byte(`{"cdn":{"latency_ms":-1,"error_mode":"reset","error_rate":1.5}}`))
	f.Add([]byte(`{"cdn":{"bandwidth_bps":1e30}}`))
	f.Add([]byte(`{"api":{"unknown":1}}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var k Knobs
		if err := dec.Decode(&k); err != nil {
			return
		}
		s := NewSwitch()
		err := s.Store(k)
		if (err == nil) != (k.Validate() == nil) {
			t.Fatalf("Store and Validate disagree on %+v: %v", k, err)
		}
		if err != nil {
			if s.Load() != Defaults() {
				t.Fatalf("rejected knobs %+v were stored", k)
			}
			return
		}
		if k.CDN.ErrorMode == "" {
			k.CDN.ErrorMode = ErrorMode5xx
		}
		// Valid knobs survive a round trip unchanged.
		b, err := json.Marshal(s.Load())
		if err != nil {
			t.Fatalf("Marshal(%+v) = %v", k, err)
		}
		var back Knobs
		if err := json.Unmarshal(b, &back); err != nil || back != k {
			t.Fatalf("round trip of %+v gave %+v, %v", k, back, err)
		}
	})
}
