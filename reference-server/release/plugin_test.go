package release

import "testing"

// The plugin-version policy, feature by feature, at and around each bound
// the backend names (the gates' sources are in plugin.go).
func TestPluginPolicy(t *testing.T) {
	tests := []struct {
		feature Feature
		on, off []string
	}{
		{Supported, []string{"3.9.9", "5.0.0", "8.51.14", "0.0.0"}, []string{"4.0.0", "4.99.0"}},
		{RevertToBuiltin, []string{"6.2.0", "7.0.0", "8.0.0"}, []string{"6.1.9", "5.99.0", "6.2.0-beta.1", "3.0.0"}},
		{Metadata, []string{"5.35.0", "6.35.0", "7.35.0", "8.35.0", "9.0.0"}, []string{"5.34.9", "6.34.9", "7.34.9", "8.34.9", "8.35.0-beta.1"}},
		{DeviceKeepsChannel, []string{"5.34.0", "6.34.0", "7.34.0", "8.0.0", "0.0.0", "4.2.0"}, []string{"5.33.9", "6.33.0", "7.33.9", "7.0.0"}},
		{KeyIDCheck, []string{"8.40.8", "8.40.8-alpha.1", "9.0.0"}, []string{"8.40.7", "8.0.0", "7.99.0"}},
		{CountsDownloadFail, []string{"7.17.0", "8.0.0", "6.14.25", "6.99.0"}, []string{"7.16.9", "6.14.24", "5.99.0", "v6.14.25"}},
	}
	for _, tt := range tests {
		for _, v := range tt.on {
			if p, ok := ParsePlugin(v); !ok || !p.Has(tt.feature) {
				t.Errorf("%s: plugin %s should have it", tt.feature, v)
			}
		}
		for _, v := range tt.off {
			if p, ok := ParsePlugin(v); !ok || p.Has(tt.feature) {
				t.Errorf("%s: plugin %s should not have it (parsed %v)", tt.feature, v, ok)
			}
		}
	}
}

func TestParsePluginAsStdSemver(t *testing.T) {
	for _, v := range []string{"8.51.14", "v8.0.0", " 7.1.0 ", "8.0.0-beta.1+b"} {
		if _, ok := ParsePlugin(v); !ok {
			t.Errorf("%q should parse", v)
		}
	}
	for _, v := range []string{"", "8", "8.0", "eight", "V8.0.0", "08.0.0", "9007199254740992.0.0"} {
		if _, ok := ParsePlugin(v); ok {
			t.Errorf("%q should not parse", v)
		}
	}
}

func BenchmarkParsePlugin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ParsePlugin("8.51.14")
	}
}
