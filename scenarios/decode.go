package scenarios

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// goccy/go-yaml's decoder stops at the first problem, so the scenario is
// decoded by walking the parsed AST against the Go types instead: every
// unknown key and type mismatch is recorded with its position, and the
// position of every value is kept by YAML path so that the semantic checks
// that run later can point at the right line too.

// maxNodes bounds the work an input may cause (aliases can expand a small
// file into a huge tree).
const (
	maxNodes = 200_000
	maxDepth = 64
)

type position struct{ line, col int }

type decoder struct {
	file      string
	problems  []Problem
	positions map[string]position // YAML path → position of its value
	set       map[string]bool     // YAML paths given a non-null value
	suggested map[string]bool     // paths an unknown key was probably meant for
	anchors   map[string]ast.Node
	nodes     int
	tooLarge  bool
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, positions: map[string]position{}, set: map[string]bool{}, suggested: map[string]bool{}, anchors: map[string]ast.Node{}}
}

func nodePos(n ast.Node) position {
	switch m := n.(type) {
	case nil:
		return position{}
	case *ast.MappingNode:
		// A block mapping's token is its first ':'; point at the first key.
		if len(m.Values) > 0 && m.Values[0].Key != nil {
			return nodePos(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		if m.Key != nil {
			return nodePos(m.Key)
		}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return position{}
	}
	return position{tk.Position.Line, tk.Position.Column}
}

func (d *decoder) addAt(p position, path, msg string) {
	d.problems = append(d.problems, Problem{File: d.file, Line: p.line, Col: p.col, Path: path, Message: msg})
}

// at returns the position recorded for path, or for its nearest ancestor
// (a missing key is reported where its parent is).
func (d *decoder) at(path string) position {
	for {
		if p, ok := d.positions[path]; ok {
			return p
		}
		if path == "" {
			return position{1, 1}
		}
		path = parentPath(path)
	}
}

// unwrap follows tags, anchors and aliases to the node holding the value.
func (d *decoder) unwrap(n ast.Node, path string) ast.Node {
	for range maxDepth {
		switch x := n.(type) {
		case *ast.TagNode:
			n = x.Value
		case *ast.AnchorNode:
			if x.Name != nil && x.Value != nil {
				d.anchors[x.Name.GetToken().Value] = x.Value
			}
			n = x.Value
		case *ast.AliasNode:
			name := ""
			if x.Value != nil && x.Value.GetToken() != nil {
				name = x.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.addAt(nodePos(x), path, fmt.Sprintf("alias *%s names no anchor defined before it", name))
				return nil
			}
			n = target
		default:
			return n
		}
	}
	return nil
}

func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// describe names what a node holds, for "got ... (expected ...)".
func describe(n ast.Node) string {
	switch x := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return "the string " + quoteShort(x.Value)
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.IntegerNode, *ast.FloatNode:
		return "the number " + n.GetToken().Value
	case *ast.InfinityNode, *ast.NanNode:
		return "the non-finite value " + n.GetToken().Value
	case *ast.BoolNode:
		return n.GetToken().Value
	case *ast.NullNode:
		return "nothing"
	}
	return "a " + strings.ToLower(n.Type().String())
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

func (d *decoder) mismatch(n ast.Node, path, want string) {
	d.addAt(nodePos(n), path, fmt.Sprintf("got %s (expected %s)", describe(n), want))
}

// typeNames says what a Go type is expected to be in YAML.
func typeNames(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return expectDuration
	case reflect.TypeFor[ByteSize]():
		return expectSize
	case reflect.TypeFor[Bandwidth]():
		return expectBandwidth
	case reflect.TypeFor[Diurnal]():
		return "a curve name or 24 hourly weights"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeNames(t.Elem())
	case reflect.Struct:
		return "a mapping"
	case reflect.Map:
		return "a mapping of names to " + strings.TrimPrefix(typeNames(t.Elem()), "a ") + "s"
	case reflect.Slice:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	}
	return t.String()
}

// decode stores node n into v (addressable), recording problems.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string, depth int) {
	d.nodes++
	if d.nodes > maxNodes || depth > maxDepth {
		if !d.tooLarge {
			d.tooLarge = true
			d.addAt(nodePos(n), path, "the document is too large or too deeply nested (aliases expanding?)")
		}
		return
	}
	at := nodePos(n)
	n = d.unwrap(n, path)
	d.positions[path] = at // a key beside "<<" overrides the merged one
	if isNull(n) {
		return // keep the zero value; defaults and checks deal with it
	}
	d.set[path] = true
	t := v.Type()
	switch t {
	case reflect.TypeFor[Duration]():
		d.decodeDuration(n, v, path)
		return
	case reflect.TypeFor[ByteSize]():
		d.decodeByteSize(n, v, path)
		return
	case reflect.TypeFor[Bandwidth]():
		d.decodeBandwidth(n, v, path)
		return
	case reflect.TypeFor[Diurnal]():
		d.decodeDiurnal(n, v, path, depth)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() { // else a "<<" merge filled it: add to it
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem(), path, depth+1)
	case reflect.Struct:
		d.decodeStruct(n, v, path, depth)
	case reflect.Map:
		d.decodeMap(n, v, path, depth)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			d.mismatch(n, path, typeNames(t))
			return
		}
		if len(seq.Values) == 0 {
			return // an empty list stays nil, as if left out
		}
		s := reflect.MakeSlice(t, len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			d.decode(item, s.Index(i), indexPath(path, i), depth+1)
		}
		v.Set(s)
	case reflect.String:
		switch x := n.(type) {
		case *ast.StringNode:
			v.SetString(x.Value)
		case *ast.LiteralNode:
			if x.Value != nil {
				v.SetString(x.Value.Value)
			}
		case *ast.IntegerNode, *ast.FloatNode:
			d.addAt(nodePos(n), path, fmt.Sprintf("got the number %s (expected a string; quote it: \"%s\")", n.GetToken().Value, n.GetToken().Value))
		default:
			d.mismatch(n, path, "a string")
		}
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.mismatch(n, path, "true or false")
			return
		}
		v.SetBool(b.Value)
	case reflect.Int, reflect.Int64:
		i, ok := intValue(n)
		if !ok || v.OverflowInt(i) {
			d.mismatch(n, path, "a whole number")
			return
		}
		v.SetInt(i)
	case reflect.Uint64:
		x, ok := n.(*ast.IntegerNode)
		if !ok {
			d.mismatch(n, path, "a whole number of 0 or more")
			return
		}
		switch u := x.Value.(type) {
		case uint64:
			v.SetUint(u)
		case int64:
			if u < 0 {
				d.mismatch(n, path, "a whole number of 0 or more")
				return
			}
			v.SetUint(uint64(u))
		default:
			d.mismatch(n, path, "a whole number of 0 or more")
		}
	case reflect.Float64:
		f, ok := floatValue(n)
		if !ok {
			d.mismatch(n, path, "a number")
			return
		}
		v.SetFloat(f)
	default:
		d.addAt(nodePos(n), path, "cannot be set from YAML")
	}
}

// fieldsOf maps the YAML keys of a struct type to field indexes, in
// declaration order.
func fieldsOf(t reflect.Type) (keys []string, index map[string]int) {
	index = map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		keys = append(keys, name)
		index[name] = i
	}
	return keys, index
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string, depth int) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		if mv, isMV := n.(*ast.MappingValueNode); isMV {
			m = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			d.mismatch(n, path, "a mapping")
			return
		}
	}
	keys, index := fieldsOf(v.Type())
	// Merged values first, so that keys written beside "<<" win over them
	// wherever they stand.
	for _, kv := range m.Values {
		if _, merge := kv.Key.(*ast.MergeKeyNode); merge && kv.Key != nil {
			d.decodeMerge(kv.Value, v, path, depth)
		}
	}
	for _, kv := range m.Values {
		if kv.Key == nil || kv.Key.GetToken() == nil {
			continue
		}
		if _, merge := kv.Key.(*ast.MergeKeyNode); merge {
			continue
		}
		key := kv.Key.GetToken().Value
		i, ok := index[key]
		if !ok {
			msg, meant := unknownKey(key, keys)
			if meant != "" {
				d.suggested[childPath(path, meant)] = true
			}
			d.addAt(nodePos(kv.Key), path, msg)
			continue
		}
		d.decode(kv.Value, v.Field(i), childPath(path, key), depth+1)
	}
}

// decodeMerge applies a "<<: *anchor" (or a list of them) to a struct.
func (d *decoder) decodeMerge(n ast.Node, v reflect.Value, path string, depth int) {
	n = d.unwrap(n, path)
	if seq, ok := n.(*ast.SequenceNode); ok {
		for _, item := range seq.Values {
			d.decodeStruct(d.unwrap(item, path), v, path, depth+1)
		}
		return
	}
	if n != nil {
		d.decodeStruct(n, v, path, depth+1)
	}
}

func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string, depth int) {
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		d.mismatch(n, path, typeNames(v.Type()))
		return
	}
	if v.IsNil() && len(values) > 0 {
		// An empty mapping stays nil, as if left out.
		v.Set(reflect.MakeMapWithSize(v.Type(), len(values)))
	}
	for _, kv := range values {
		if kv.Key == nil || kv.Key.GetToken() == nil {
			continue
		}
		if _, merge := kv.Key.(*ast.MergeKeyNode); merge {
			d.addAt(nodePos(kv.Key), path, "merge keys (<<) are not supported here")
			continue
		}
		key := kv.Key.GetToken().Value
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(kv.Value, elem, childPath(path, key), depth+1)
		v.SetMapIndex(reflect.ValueOf(key), elem)
	}
}
