package refserver

import (
	"reflect"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// wireDecoder decodes the bodies of the device endpoints (/updates, /stats)
// with github.com/go-json-experiment/json, several times faster than
// encoding/json on the flat info object and with a fifth of its
// allocations (docs/benchmarks.md, "Server"). Its options keep what
// encoding/json accepted: names matched case-insensitively (delimiters
// included), duplicate names (the last wins) and invalid UTF-8 (replaced
// by U+FFFD), so that devices see the same replies as before.
type wireDecoder struct{ opts jsonv2.Options }

func newWireDecoder() wireDecoder {
	return wireDecoder{opts: jsonv2.JoinOptions(
		jsonv2.MatchCaseInsensitiveNames(true),
		jsonv1.MatchCaseSensitiveDelimiter(true),
		jsontext.AllowDuplicateNames(true),
		jsontext.AllowInvalidUTF8(true),
	)}
}

// unmarshal decodes one JSON value into v; trailing data is an error.
func (d wireDecoder) unmarshal(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v, d.opts)
}

// jsonKind names a JSON kind as encoding/json's errors did.
func jsonKind(k jsontext.Kind) string {
	switch k {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 0:
		return "value"
	}
	return k.String()
}

// jsonProblemV2 words a go-json-experiment decoding error for the client
// without echoing the body; ok is false for other errors.
func jsonProblemV2(err error) (msg string, ok bool) {
	switch e := err.(type) {
	case *jsontext.SyntacticError:
		return "invalid JSON at offset " + strconv.FormatInt(e.ByteOffset, 10), true
	case *jsonv2.SemanticError:
		field := strings.ReplaceAll(strings.TrimPrefix(string(e.JSONPointer), "/"), "/", ".")
		want := goKind(e.GoType)
		if field == "" {
			return "body must be " + want + ", not " + jsonKind(e.JSONKind), true
		}
		return "field " + field + " must be " + want + ", not " + jsonKind(e.JSONKind), true
	}
	return "", false
}

// goKind names the JSON shape a Go type takes.
func goKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t == reflect.TypeFor[jsontext.Value]() {
			return "a JSON value"
		}
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}
