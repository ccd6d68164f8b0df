package scenarios

import (
	"strings"
	"testing"
)

// TestBundledScenariosValidate loads every bundled scenario through the
// same path `otasim run NAME` takes.
func TestBundledScenariosValidate(t *testing.T) {
	infos := List()
	if len(infos) == 0 {
		t.Fatal("no bundled scenarios")
	}
	for _, info := range infos {
		t.Run(info.Name, func(t *testing.T) {
			s, err := Load(info.Name)
			if err != nil {
				t.Fatalf("Load(%q):\n%v", info.Name, err)
			}
			if s.Name != info.Name {
				t.Errorf("name = %q, want the file name %q", s.Name, info.Name)
			}
			if s.Source != "embedded:"+info.Name+".yaml" {
				t.Errorf("source = %q", s.Source)
			}
			if strings.TrimSpace(s.Description) == "" || info.Description == "" {
				t.Error("no description")
			}
			if len(s.Timeline) == 0 {
				t.Error("empty timeline")
			}
			if len(s.TargetSpecs()) == 0 {
				t.Error("no targets")
			}
			if s.Hash() == "" || len(s.Hash()) != 64 {
				t.Errorf("hash = %q", s.Hash())
			}
		})
	}
}
