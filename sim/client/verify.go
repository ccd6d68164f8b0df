package client

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"strings"
	"sync"
)

// Bundles kept for byte-for-byte comparison: each at most maxVerified
// bytes, all together at most maxVerifiedTotal; others are always hashed.
const (
	maxVerified      = 64 << 20
	maxVerifiedTotal = 256 << 20
)

// verifiedBundles are bundles whose bytes matched their checksum, by
// lower-case checksum. Safe for concurrent use; entries are never
// modified once stored.
type verifiedBundles struct {
	mu    sync.RWMutex
	by    map[string][]byte
	total int64
}

// checker returns the check of one download against checksum: a compare
// with a verified copy when there is one, else a SHA-256 that also keeps
// the bytes so that a match can become the verified copy.
func (v *verifiedBundles) checker(checksum string) *checker {
	key := strings.ToLower(checksum)
	v.mu.RLock()
	ref, ok := v.by[key]
	full := v.total >= maxVerifiedTotal
	v.mu.RUnlock()
	if ok {
		return &checker{ref: ref}
	}
	return &checker{h: sha256.New(), want: checksum, capture: checksum != "" && !full}
}

// keep stores a download whose bytes matched checksum.
func (v *verifiedBundles) keep(checksum string, c *checker) { v.keepAs(checksum, c) }

// keepAs stores a verified download under key.
func (v *verifiedBundles) keepAs(key string, c *checker) {
	if !c.capture || c.ref != nil || int64(len(c.kept)) != c.off {
		return
	}
	key = strings.ToLower(key)
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.by[key]; ok || v.total+c.off > maxVerifiedTotal {
		return
	}
	if v.by == nil {
		v.by = map[string][]byte{}
	}
	v.by[key] = c.kept
	v.total += c.off
}

// checker checks one download's bytes as they arrive, in order.
type checker struct {
	// compare mode
	ref []byte
	bad bool
	// hash mode
	h       hash.Hash
	want    string
	capture bool
	kept    []byte

	off int64 // bytes seen
}

// Write takes the next bytes of the body.
func (c *checker) Write(p []byte) {
	if c.ref != nil {
		end := c.off + int64(len(p))
		if end > int64(len(c.ref)) || !bytes.Equal(c.ref[c.off:end], p) {
			c.bad = true
		}
		c.off = end
		return
	}
	c.h.Write(p)
	if c.capture {
		if c.off+int64(len(p)) > maxVerified {
			c.capture, c.kept = false, nil
		} else {
			c.kept = append(c.kept, p...)
		}
	}
	c.off += int64(len(p))
}

// Reset starts over (a server that ignored a Range request sends the
// whole body again).
func (c *checker) Reset() {
	c.off, c.bad = 0, false
	if c.h != nil {
		c.h.Reset()
		c.kept = c.kept[:0]
	}
}

// ok reports whether the bytes seen match the checksum.
func (c *checker) ok() bool {
	if c.ref != nil {
		return !c.bad && c.off == int64(len(c.ref))
	}
	var sum [sha256.Size]byte
	return checksumOK(c.h.Sum(sum[:0]), c.want)
}

// get returns a verified copy stored under key.
func (v *verifiedBundles) get(key string) ([]byte, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	b, ok := v.by[key]
	return b, ok
}

// put stores a verified copy under key, within the bounds.
func (v *verifiedBundles) put(key string, b []byte) {
	if len(b) > maxVerified {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.by[key]; ok || v.total+int64(len(b)) > maxVerifiedTotal {
		return
	}
	if v.by == nil {
		v.by = map[string][]byte{}
	}
	v.by[key] = b
	v.total += int64(len(b))
}
