package sim

import (
	"reflect"
	"testing"
)

func TestLabels(t *testing.T) {
	l := newLabels()
	if id := l.id(""); id != noLabel {
		t.Fatalf(`id("") = %d, want noLabel`, id)
	}
	a, b := l.id("app_launch_ready"), l.id("1.1.0:index.html")
	if a == b || a == noLabel || b == noLabel {
		t.Fatalf("ids %d and %d", a, b)
	}
	if again := l.id("app_launch_ready"); again != a {
		t.Fatalf("second id = %d, want %d", again, a)
	}
	if l.name(a) != "app_launch_ready" || l.name(b) != "1.1.0:index.html" || l.name(noLabel) != "" {
		t.Fatalf("names %q %q %q", l.name(a), l.name(b), l.name(noLabel))
	}
}

// TestStatHoldsNoPointer: the queued events are memory the garbage
// collector skips only while stat has no pointer (see labels).
func TestStatHoldsNoPointer(t *testing.T) {
	typ := reflect.TypeFor[stat]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Type.Kind() {
		case reflect.Int64, reflect.Uint32, reflect.Uint8:
		default:
			t.Errorf("stat.%s is a %s: a queued event must hold no pointer", f.Name, f.Type)
		}
	}
}
