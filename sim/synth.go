package sim

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/otasim/otasim/appbundle"
	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/device"
)

// defaultFiles is how many files a per-file bundle has when the scenario
// does not say.
const defaultFiles = 100

// Synthetic bundles: real files with real hashes, built from the seed.
// The first synthetic bundle derives from the builtin (every file of the
// builtin has the same path and size); each later one from the
// synthetic bundle before it: exactly round(changed_files × files) of its
// files, picked by the seed, get new bytes; a file whose size differs from
// the one it replaces is new too. Bytes are pseudo-random (a web bundle's
// files are mostly minified and already compressed assets), so brotli is
// not tried (it would not shrink them) and the zip stores them.

// fileReg knows every synthetic file: its hash, whether the builtin holds
// it and which bundles do (a bit per bundle index), so that a device can
// tell from a manifest entry's hash which files it already holds.
type fileReg struct {
	byHash  map[string]uint32
	builtin []bool
	in      []uint64
	size    []int64
}

func (r *fileReg) add(hash string, builtin bool, size int64) uint32 {
	if id, ok := r.byHash[hash]; ok {
		return id
	}
	id := uint32(len(r.builtin))
	r.byHash[hash] = id
	r.builtin = append(r.builtin, builtin)
	r.in = append(r.in, 0)
	r.size = append(r.size, size)
	return id
}

// synthBundle is a built bundle and, per manifest entry, its file's id.
type synthBundle struct {
	built *appbundle.Built
	ids   []uint32
	names []string
}

// layout is a bundle's files by index: size and identity (where its bytes
// come from).
type layout struct {
	size   []int64
	origin [][2]uint32 // (generation, index) whose bytes the file has
}

// buildSynthetic builds the scenario's synthetic bundles; key encrypts
// those marked encrypted.
func buildSynthetic(sc *scenarios.Scenario, seed uint64, tab *bundleTable, key *rsa.PrivateKey) (map[string]*synthBundle, *fileReg, error) {
	out := map[string]*synthBundle{}
	reg := &fileReg{byHash: map[string]uint32{}}
	var prev *layout
	byVersion := map[string]*layout{}
	for k := range sc.Bundles {
		b := &sc.Bundles[k]
		if !b.Synthetic() {
			continue
		}
		var lay *layout
		if b.SameFilesAs != "" {
			lay = byVersion[b.SameFilesAs]
			if lay == nil {
				return nil, nil, fmt.Errorf("sim: bundle %s: same_files_as %s is not a bundle with files", b.Version, b.SameFilesAs)
			}
		} else {
			n := b.Files
			if n == 0 {
				n = defaultFiles
			}
			sizes := fileSizes(seed, uint64(b.Size), n)
			if prev == nil {
				base := &layout{size: sizes, origin: make([][2]uint32, n)}
				for i := range base.origin {
					base.origin[i] = [2]uint32{0, uint32(i)}
				}
				for i := range n {
					reg.add(appbundle.SHA256Hex(fileBytes(seed, base.origin[i], sizes[i])), true, sizes[i])
				}
				prev = base
			}
			lay = derive(seed, uint32(k+1), prev, sizes, b.Changed())
			prev = lay
		}
		byVersion[b.Version] = lay
		files := make([]appbundle.File, len(lay.size))
		for i := range files {
			files[i] = appbundle.File{Name: fileName(i), Data: fileBytes(seed, lay.origin[i], lay.size[i])}
		}
		opt := appbundle.Options{Manifest: b.Delivery == scenarios.DeliveryManifest, NoBrotli: true}
		if b.Encrypted {
			opt.Key = key
		}
		built, err := appbundle.BuildStored(files, opt)
		if err != nil {
			return nil, nil, fmt.Errorf("sim: build bundle %s: %w", b.Version, err)
		}
		idx := tab.index[b.Version]
		sb := &synthBundle{built: built}
		for i := range files {
			id := reg.add(appbundle.SHA256Hex(files[i].Data), false, int64(len(files[i].Data)))
			if idx < device.MaxBundles {
				reg.in[id] |= 1 << idx
			}
			if opt.Manifest {
				sb.ids = append(sb.ids, id)
				sb.names = append(sb.names, built.Manifest[i].FileName)
			}
		}
		out[b.Version] = sb
	}
	return out, reg, nil
}

// derive makes the layout of a bundle from its base: the chosen share of
// files, and every file whose size changed, get new bytes.
func derive(seed uint64, gen uint32, base *layout, sizes []int64, changed float64) *layout {
	n := len(sizes)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	r := rand.New(rand.NewPCG(seed, uint64(gen)))
	r.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	fresh := make([]bool, n)
	for _, i := range order[:int(math.Round(changed*float64(n)))] {
		fresh[i] = true
	}
	lay := &layout{size: sizes, origin: make([][2]uint32, n)}
	for i := range n {
		if !fresh[i] && i < len(base.size) && base.size[i] == sizes[i] {
			lay.origin[i] = base.origin[i]
		} else {
			lay.origin[i] = [2]uint32{gen, uint32(i)}
		}
	}
	return lay
}

// fileSizes splits total bytes over n files: log-normal weights (a few
// large chunks, many small files) from the seed, at least 64 bytes each.
func fileSizes(seed, total uint64, n int) []int64 {
	r := rand.New(rand.NewPCG(seed, 0x5e1e5))
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = math.Exp(r.NormFloat64())
		sum += w[i]
	}
	sizes := make([]int64, n)
	var used int64
	for i := range sizes {
		sizes[i] = max(64, int64(float64(total)*w[i]/sum))
		used += sizes[i]
	}
	if rest := int64(total) - used; rest > 0 {
		sizes[slices.Index(w, slices.Max(w))] += rest
	}
	return sizes
}

func fileName(i int) string {
	if i == 0 {
		return "index.html"
	}
	return fmt.Sprintf("assets/chunk-%04d.js", i)
}

// fileBytes are the bytes of the file of a generation and index.
func fileBytes(seed uint64, origin [2]uint32, size int64) []byte {
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:], seed)
	binary.LittleEndian.PutUint32(k[8:], origin[0])
	binary.LittleEndian.PutUint32(k[12:], origin[1])
	key := sha256.Sum256(k[:])
	out := make([]byte, size)
	rand.NewChaCha8(key).Read(out)
	return out
}
