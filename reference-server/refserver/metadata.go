package refserver

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
)

// metaEntry is one key of a stats event's metadata.
type metaEntry struct {
	key string
	val jsField
}

// metaField is a stats event's metadata as the decoder read it: its
// kind, and when it is an object its entries as JavaScript's
// Object.entries sees them (a repeated key keeps its first position and
// its last value, keys that are array indexes come first in numeric
// order). It keeps at most MaxMetadataKeys+1 entries, enough to refuse the
// object, so that a hostile body's many keys cost no more than a scan.
type metaField struct {
	kind    jsKind
	entries []metaEntry
}

// decode reads the value at dec, in the body's own pass: a second decode
// of a copy of the raw object was a fifth of BenchmarkDecodeStats.
func (m *metaField) decode(dec *jsontext.Decoder) error {
	if dec.PeekKind() != '{' {
		var f jsField
		err := f.decode(dec, "")
		*m = metaField{kind: f.kind}
		return err
	}
	entries, err := readEntries(dec)
	if err != nil {
		return err
	}
	slices.SortStableFunc(entries, func(a, b metaEntry) int {
		ia, aok := arrayIndex(a.key)
		ib, bok := arrayIndex(b.key)
		switch {
		case aok && bok:
			return cmp.Compare(ia, ib)
		case aok:
			return -1
		case bok:
			return 1
		}
		return 0
	})
	*m = metaField{kind: jsObject, entries: entries}
	return nil
}

// readEntries reads an object's members in the order they first appear,
// each with its last value, up to MaxMetadataKeys+1 of them.
func readEntries(dec *jsontext.Decoder) ([]metaEntry, error) {
	if _, err := dec.ReadToken(); err != nil { // '{', its kind peeked
		return nil, err
	}
	var entries []metaEntry
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		if len(entries) > protocol.MaxMetadataKeys {
			if err := dec.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		k := tok.String() // before the next read voids the token
		var f jsField
		if err := f.UnmarshalJSONFrom(dec); err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(entries, func(e metaEntry) bool { return e.key == k }); i >= 0 {
			entries[i].val = f
			continue
		}
		entries = append(entries, metaEntry{k, f})
	}
	_, err := dec.ReadToken()
	return entries, err
}

// arrayIndex reports whether a key is an array index in JavaScript's
// property order: a canonical integer below 2^32-1.
func arrayIndex(k string) (uint64, bool) {
	if k == "" || (len(k) > 1 && k[0] == '0') || strings.ContainsFunc(k, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false // not digits, answered before ParseUint allocates its error
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return n, err == nil && n < 1<<32-1
}

// metadata checks a stats event's metadata as the backend does
// (utils/plugin_validation.ts:228-257).
func (v *validator) metadata(m metaField) {
	if m.kind == absent {
		return
	}
	if m.kind != jsObject {
		v.add("metadata", "metadata must be an object with string values")
		return
	}
	entries := m.entries
	if len(entries) > protocol.MaxMetadataKeys {
		v.add("metadata", "metadata must contain at most "+strconv.Itoa(protocol.MaxMetadataKeys)+" fields")
		return
	}
	for _, e := range entries {
		switch {
		case release.UTF16Len(e.key) > protocol.MaxMetadataKeyLen:
			v.add("metadata."+e.key, "metadata keys must contain at most "+strconv.Itoa(protocol.MaxMetadataKeyLen)+" characters")
		case !e.val.isString():
			v.add("metadata."+e.key, "metadata values must be strings")
		case release.UTF16Len(e.val.str) > protocol.MaxMetadataValueLen:
			v.add("metadata."+e.key, "metadata values must contain at most "+strconv.Itoa(protocol.MaxMetadataValueLen)+" characters")
		}
	}
}

// metadataMap is the metadata of a valid event, from the entries its
// validation read.
func metadataMap(entries []metaEntry) map[string]string {
	if len(entries) == 0 {
		return nil
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		out[e.key] = e.val.str
	}
	return out
}
