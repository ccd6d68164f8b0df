package scenarios

import (
	"fmt"
	"math"
	"reflect"

	"github.com/goccy/go-yaml/ast"
)

// Scalars and the unit types, decoded from AST nodes.

func intValue(n ast.Node) (int64, bool) {
	x, ok := n.(*ast.IntegerNode)
	if !ok {
		return 0, false
	}
	switch i := x.Value.(type) {
	case int64:
		return i, true
	case uint64:
		if i <= math.MaxInt64 {
			return int64(i), true
		}
	}
	return 0, false
}

func floatValue(n ast.Node) (float64, bool) {
	switch x := n.(type) {
	case *ast.FloatNode:
		return x.Value, !math.IsNaN(x.Value) && !math.IsInf(x.Value, 0)
	case *ast.IntegerNode:
		switch i := x.Value.(type) {
		case int64:
			return float64(i), true
		case uint64:
			return float64(i), true
		}
	}
	return 0, false
}

func (d *decoder) scalarText(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.IntegerNode, *ast.FloatNode:
		return x.GetToken().Value, true
	}
	return "", false
}

func (d *decoder) decodeDuration(n ast.Node, v reflect.Value, path string) {
	s, ok := d.scalarText(n)
	if !ok {
		d.mismatch(n, path, expectDuration)
		return
	}
	dur, err := ParseDuration(s)
	if err != nil {
		d.addAt(nodePos(n), path, fmt.Sprintf("%v (expected %s)", err, expectDuration))
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) decodeByteSize(n ast.Node, v reflect.Value, path string) {
	s, ok := d.scalarText(n)
	if !ok {
		d.mismatch(n, path, expectSize)
		return
	}
	size, err := ParseByteSize(s)
	if err != nil {
		d.addAt(nodePos(n), path, fmt.Sprintf("%v (expected %s)", err, expectSize))
		return
	}
	v.SetInt(int64(size))
}

func (d *decoder) decodeBandwidth(n ast.Node, v reflect.Value, path string) {
	s, ok := d.scalarText(n)
	if !ok {
		d.mismatch(n, path, expectBandwidth)
		return
	}
	bw, err := ParseBandwidth(s)
	if err != nil {
		d.addAt(nodePos(n), path, fmt.Sprintf("%v (expected %s)", err, expectBandwidth))
		return
	}
	v.SetInt(int64(bw))
}

func (d *decoder) decodeDiurnal(n ast.Node, v reflect.Value, path string, depth int) {
	switch n.(type) {
	case *ast.StringNode:
		v.Set(reflect.ValueOf(Diurnal{Shape: n.(*ast.StringNode).Value}))
	case *ast.SequenceNode:
		var w []float64
		d.decode(n, reflect.ValueOf(&w).Elem(), path, depth+1)
		if w == nil {
			w = []float64{}
		}
		v.Set(reflect.ValueOf(Diurnal{Weights: w}))
	default:
		d.mismatch(n, path, "a curve name (default, flat, office, evening) or 24 hourly weights")
	}
}
