package release

import "testing"

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in     string
		ok     bool
		coerce bool // CoerceVersion accepts it
	}{
		{"1.2.3", true, true},
		{"1.2.3-beta.1+build.5", true, true},
		{"0.0.0", true, true},
		{"01.2.3", false, false},
		{"1.2", false, true},
		{"1", false, true},
		{"v1.2.3", false, true},
		{"1.2.3-", false, false},
		{"1.2.3-01", false, false},
		{"a.b.c", false, false},
		{"", false, false},
		{"1..3", false, false},
		{"1.2.3.4", false, false},
		{"18446744073709551616.0.0", false, false},
		{"9007199254740992.0.0", true, false}, // over JavaScript's safe integers
		{"1.0-beta.1", false, false},          // fixSemver counts the pre-release's dot
		{" v1.2 ", false, false},              // ".0" lands after the trailing space
		{" v1.2", false, true},
		{"builtin", false, true},
	}
	for _, tt := range tests {
		if _, ok := ParseVersion(tt.in); ok != tt.ok {
			t.Errorf("ParseVersion(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
		if _, ok := CoerceVersion(tt.in); ok != tt.coerce {
			t.Errorf("CoerceVersion(%q) ok = %v, want %v", tt.in, ok, tt.coerce)
		}
	}
}

func TestCompare(t *testing.T) {
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"}
	for i := range order {
		for j := range order {
			a, _ := ParseVersion(order[i])
			b, _ := ParseVersion(order[j])
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%s vs %s = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

// NormalizeBuild is the backend's treatment of a device's version_build
// (utils/plugin_parser.ts:67-73, utils/utils.ts:56-67).
func TestNormalizeBuild(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.2.3", "1.2.3"},
		{"1.2", "1.2.0"},
		{"7", "7.0.0"},
		{"v2.1", "2.1.0"},
		{" 1.0.0 ", "1.0.0"},
		{"1.0.0-beta.1+b5", "1.0.0-beta.1+b5"},
		{"builtin", "0.0.0"},
		{"unknown", "0.0.0"},
		{"1.2-beta", ""}, // one dot: ".0" is appended after the pre-release
		{"not-a-version", ""},
		{"1.2.3.4", ""},
		{"V1.2.3", ""},
	}
	for _, tt := range tests {
		got, ok := NormalizeBuild(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("NormalizeBuild(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.2.3", "1.2.3-rc.1+b", "v2", "1.2", "", "0.0.0-0", "1.2.3-a..b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseVersion(s)
		if ok && v.Compare(v) != 0 {
			t.Fatalf("%q not equal to itself", s)
		}
		CoerceVersion(s)
		if n, ok := NormalizeBuild(s); ok {
			if again, ok := NormalizeBuild(n); !ok || again != n {
				t.Fatalf("NormalizeBuild(%q) = %q, not stable: %q, %v", s, n, again, ok)
			}
		}
	})
}
