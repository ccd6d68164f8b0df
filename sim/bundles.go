package sim

import (
	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/device"
)

// bundleTable maps bundle versions to the small indexes devices store:
// 0 is the builtin bundle, then the scenario's bundles, then versions the
// server offers that the scenario does not know (a foreign target).
type bundleTable struct {
	names []string
	index map[string]uint8
	specs []*scenarios.Bundle // nil for builtin and unknown versions
	sha   []string
	size  []int64
	// synth holds the bundles the simulator built (nil for others).
	synth []*synthBundle
}

func newBundleTable(sc *scenarios.Scenario) bundleTable {
	t := bundleTable{index: map[string]uint8{}}
	t.add(protocol.Builtin, nil)
	for i := range sc.Bundles {
		t.add(sc.Bundles[i].Version, &sc.Bundles[i])
	}
	return t
}

func (t *bundleTable) add(name string, spec *scenarios.Bundle) uint8 {
	idx := uint8(len(t.names))
	t.names = append(t.names, name)
	t.index[name] = idx
	t.specs = append(t.specs, spec)
	t.sha = append(t.sha, "")
	var size int64
	if spec != nil {
		size = int64(spec.Size)
	}
	t.size = append(t.size, size)
	t.synth = append(t.synth, nil)
	return idx
}

// delivery is how a bundle is delivered (metrics.Zip or .Manifest).
func (t *bundleTable) manifest(idx uint8) bool {
	return int(idx) < len(t.specs) && t.specs[idx] != nil && t.specs[idx].Delivery == scenarios.DeliveryManifest
}

// lookup returns the index of a version, adding an unknown one while there
// is room; ok is false when the table is full.
func (t *bundleTable) lookup(name string) (uint8, bool) {
	if idx, ok := t.index[name]; ok {
		return idx, true
	}
	if len(t.names) >= device.MaxBundles {
		return 0, false
	}
	return t.add(name, nil), true
}

func (t *bundleTable) name(idx uint8) string {
	if int(idx) < len(t.names) {
		return t.names[idx]
	}
	return "unknown"
}

func (t *bundleTable) setSHA(name, sha string, size int64) {
	if idx, ok := t.index[name]; ok {
		t.sha[idx] = sha
		if size > 0 {
			t.size[idx] = size
		}
	}
}

// sized records the size of a bundle the scenario does not know from its
// first complete download.
func (t *bundleTable) sized(idx uint8, bytes int64) {
	if int(idx) < len(t.size) && t.size[idx] == 0 && t.specs[idx] == nil {
		t.size[idx] = bytes
	}
}

func (t *bundleTable) errorRate(idx uint8) float64 {
	if int(idx) < len(t.specs) && t.specs[idx] != nil {
		return t.specs[idx].Defects.ErrorRate
	}
	return 0
}

func (t *bundleTable) defects(idx uint8) *scenarios.Defects {
	if int(idx) < len(t.specs) && t.specs[idx] != nil {
		return &t.specs[idx].Defects
	}
	return nil
}
