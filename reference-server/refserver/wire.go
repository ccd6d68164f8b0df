package refserver

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/otasim/otasim/reference-server/release"
)

// jsKind is the JavaScript type of a JSON value, as the backend's
// validation sees it after JSON.parse.
type jsKind byte

// The kinds of a field; absent is undefined in JavaScript.
const (
	absent jsKind = iota
	jsNull
	jsBool
	jsNumber
	jsString
	jsArray
	jsObject
)

// jsField is one field of a device's body: its kind and, for a string, its
// value. Decoding any JSON value into it succeeds, so a body decodes in
// one pass whatever its types, and validation can word each problem as
// the backend does.
type jsField struct {
	kind  jsKind
	str   string // a string's value, a number's text
	truth bool   // JavaScript truthiness
	// plain: for an array, String(value) matches MAJOR.MINOR.PATCH (an
	// array of one such string, arrays within included).
	plain bool
}

// UnmarshalJSONFrom records the value's kind, and its text for a string.
func (f *jsField) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return f.decode(dec, "") }

// decode is UnmarshalJSONFrom with a hint: a string whose text is the
// hint's is given the hint itself rather than a copy. The events of a
// batch repeat their device's fields, so the previous event's values spare
// most of a batch's string allocations (BenchmarkDecodeStats).
func (f *jsField) decode(dec *jsontext.Decoder, hint string) error {
	switch dec.PeekKind() {
	case '"':
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		s := stringOf(raw, hint)
		*f = jsField{kind: jsString, str: s, truth: s != ""}
	case 'n':
		_, err := dec.ReadToken()
		*f = jsField{kind: jsNull}
		return err
	case 't', 'f':
		tok, err := dec.ReadToken()
		*f = jsField{kind: jsBool, truth: tok.Kind() == 't'}
		return err
	case '0':
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		s := string(raw) // a number's value is its text
		n, _ := strconv.ParseFloat(s, 64)
		*f = jsField{kind: jsNumber, str: s, truth: n != 0}
	case '[':
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		*f = jsField{kind: jsArray, truth: true, plain: plainArray(v)}
	default:
		if err := dec.SkipValue(); err != nil {
			return err
		}
		*f = jsField{kind: jsObject, truth: true}
	}
	return nil
}

// stringOf is the text of a JSON string literal the decoder has read (so
// valid JSON), hint itself when the two are equal. Invalid UTF-8 becomes
// U+FFFD, as in the text JSON.parse reads.
func stringOf(raw jsontext.Value, hint string) string {
	if text, ok := plainText(raw); ok {
		if string(text) == hint {
			return hint
		}
		return string(text)
	}
	text, _ := jsontext.AppendUnquote(nil, raw) // its only error: the invalid UTF-8 it replaced
	return string(text)
}

// plainText is a string literal's text without its quotes when that is
// its value too: no escape and valid UTF-8. Device bodies are ASCII, so
// one pass decides for most.
func plainText(raw jsontext.Value) ([]byte, bool) {
	text := raw[1 : len(raw)-1]
	for i, c := range text {
		if c == '\\' {
			return text, false
		}
		if c >= utf8.RuneSelf {
			rest := text[i:]
			return text, bytes.IndexByte(rest, '\\') < 0 && utf8.Valid(rest)
		}
	}
	return text, true
}

// plainArray reports whether String(array) in JavaScript is a plain
// MAJOR.MINOR.PATCH: a single element that is such a string, or such an
// array.
func plainArray(v jsontext.Value) bool {
	var elems []jsontext.Value
	if jsonv2.Unmarshal(v, &elems) != nil || len(elems) != 1 {
		return false
	}
	e := elems[0]
	switch e.Kind() {
	case '"':
		var s string
		return jsonv2.Unmarshal(e, &s) == nil && release.IsPlainSemver(s)
	case '[':
		return plainArray(e)
	}
	return false
}

// set reports whether the field is present (not undefined).
func (f jsField) set() bool { return f.kind != absent }

// isString reports whether the field is a string.
func (f jsField) isString() bool { return f.kind == jsString }

// orNullish returns def when the field is undefined or null, as the
// backend's ??= does.
func (f jsField) orNullish(def bool) jsField {
	if f.kind == absent || f.kind == jsNull {
		return jsField{kind: jsBool, truth: def}
	}
	return f
}

// wireBody is a device's body as the backend reads any of its three
// endpoints' bodies: the info object, the /channel_self channel and the
// fields of a stats event. Unknown fields are ignored, names match case
// sensitively and a repeated name keeps its last value, as in JSON.parse.
type wireBody struct {
	Platform       jsField `json:"platform"`
	DeviceID       jsField `json:"device_id"`
	AppID          jsField `json:"app_id"`
	CustomID       jsField `json:"custom_id"`
	VersionBuild   jsField `json:"version_build"`
	VersionCode    jsField `json:"version_code"`
	VersionOS      jsField `json:"version_os"`
	VersionName    jsField `json:"version_name"`
	PluginVersion  jsField `json:"plugin_version"`
	IsEmulator     jsField `json:"is_emulator"`
	IsProd         jsField `json:"is_prod"`
	InstallSource  jsField `json:"install_source"`
	DefaultChannel jsField `json:"defaultChannel"`
	KeyID          jsField `json:"key_id"`
	Channel        jsField `json:"channel"`
	OldVersionName jsField `json:"old_version_name"`
	Action         jsField `json:"action"`
	Timestamp      jsField `json:"timestamp"`
	// Metadata is read in the same pass (only /stats validates it).
	Metadata metaField `json:"metadata"`
	// top is the kind of the whole body; keys whether it has any key
	// (JavaScript's Object.keys(body).length > 0).
	top  jsKind
	keys bool
}

// UnmarshalJSONFrom decodes an object's members by name, as the struct
// tags say, without reflection: the struct arshaler's name lookup and
// method calls were most of a stats batch's decoding
// (BenchmarkDecodeStats). Names match exactly; a repeated name keeps its
// last value; other names are skipped. It sets top and keys.
func (wb *wireBody) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return wb.decode(dec, nil) }

// decode is UnmarshalJSONFrom with the batch's previous event, prev (nil
// for none), whose strings are the hints of wb's (jsField.decode).
func (wb *wireBody) decode(dec *jsontext.Decoder, prev *wireBody) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '{' {
		return errNotObject
	}
	*wb = wireBody{top: jsObject}
	var buf []byte // the unquoted names that have escapes
	for dec.PeekKind() != '}' {
		wb.keys = true
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		// A name that does not unquote has invalid UTF-8, so is none
		// of the names read: it is skipped.
		name, ok := plainText(raw)
		if !ok {
			name, err = jsontext.AppendUnquote(buf[:0], raw)
			if err != nil {
				name = name[:0]
			}
			buf = name
		}
		if string(name) == "metadata" {
			if err := wb.Metadata.decode(dec); err != nil {
				return err
			}
			continue
		}
		f := wb.field(name)
		if f == nil {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		var hint string
		if prev != nil {
			hint = prev.field(name).str
		}
		if err := f.decode(dec, hint); err != nil {
			return err
		}
	}
	_, err = dec.ReadToken()
	return err
}

var errNotObject = errors.New("not a JSON object")

// field is the member a name decodes into, nil for a name the endpoints
// do not read.
func (wb *wireBody) field(name []byte) *jsField {
	switch string(name) {
	case "platform":
		return &wb.Platform
	case "device_id":
		return &wb.DeviceID
	case "app_id":
		return &wb.AppID
	case "custom_id":
		return &wb.CustomID
	case "version_build":
		return &wb.VersionBuild
	case "version_code":
		return &wb.VersionCode
	case "version_os":
		return &wb.VersionOS
	case "version_name":
		return &wb.VersionName
	case "plugin_version":
		return &wb.PluginVersion
	case "is_emulator":
		return &wb.IsEmulator
	case "is_prod":
		return &wb.IsProd
	case "install_source":
		return &wb.InstallSource
	case "defaultChannel":
		return &wb.DefaultChannel
	case "key_id":
		return &wb.KeyID
	case "channel":
		return &wb.Channel
	case "old_version_name":
		return &wb.OldVersionName
	case "action":
		return &wb.Action
	case "timestamp":
		return &wb.Timestamp
	}
	return nil
}

// topKind is the kind of a JSON value from its first byte.
func topKind(v []byte) jsKind {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return absent
	}
	switch v[0] {
	case '{':
		return jsObject
	case '[':
		return jsArray
	case '"':
		return jsString
	case 'n':
		return jsNull
	case 't', 'f':
		return jsBool
	}
	return jsNumber
}

// wireDecoder decodes device bodies as JSON.parse does: case-sensitive
// names, duplicate names (the last wins), invalid UTF-8 replaced by U+FFFD
// (the request's text is decoded before it is parsed), a leading
// byte-order mark dropped. It uses github.com/go-json-experiment/json,
// several times faster than encoding/json on the flat info object and with
// a fifth of its allocations (docs/benchmarks.md, "Server").
type wireDecoder struct{ opts jsonv2.Options }

func newWireDecoder() wireDecoder {
	return wireDecoder{opts: jsonv2.JoinOptions(
		jsontext.AllowDuplicateNames(true),
		jsontext.AllowInvalidUTF8(true),
	)}
}

// unmarshal decodes one JSON value into v; trailing data is an error.
func (d wireDecoder) unmarshal(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v, d.opts)
}

// decodeBody decodes a body into wb: an object's fields, or just the kind
// of any other value. An error means the body is not JSON (the backend's
// invalid_json_parse_body).
func (d wireDecoder) decodeBody(data []byte, wb *wireBody) error {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	*wb = wireBody{top: topKind(data)}
	if wb.top != jsObject {
		if !jsontext.Value(data).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)) {
			return errNotJSON
		}
		wb.keys = nonEmpty(data, wb.top)
		return nil
	}
	return d.unmarshal(data, wb)
}

var errNotJSON = errors.New("body is not JSON")

// nonEmpty reports whether Object.keys(value).length > 0 for a value that
// is not an object: a non-empty string or array.
func nonEmpty(data []byte, k jsKind) bool {
	switch k {
	case jsString:
		var s string
		return jsonv2.Unmarshal(data, &s, jsontext.AllowInvalidUTF8(true)) == nil && s != ""
	case jsArray:
		var elems []jsontext.Value
		return jsonv2.Unmarshal(data, &elems, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)) == nil && len(elems) > 0
	}
	return false
}
