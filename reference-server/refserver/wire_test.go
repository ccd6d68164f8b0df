package refserver

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// jsonParse is what JSON.parse gives for the fields of a body, from
// encoding/json into a map (whose keys match exactly; a repeated key keeps
// its last value, as in JavaScript).
func jsonParse(raw []byte) (map[string]any, bool) {
	var m map[string]any
	return m, json.Unmarshal(raw, &m) == nil
}

// kindOf is the jsKind of a value decoded by encoding/json.
func kindOf(v any, present bool) jsKind {
	switch v.(type) {
	case nil:
		if !present {
			return absent
		}
		return jsNull
	case bool:
		return jsBool
	case float64:
		return jsNumber
	case string:
		return jsString
	case []any:
		return jsArray
	}
	return jsObject
}

func TestWireBodyAsJSONParse(t *testing.T) {
	d := newWireDecoder()
	for _, tt := range []struct {
		body string
		app  jsField
		dev  jsField
	}{
		{`{"app_id":"a.b","APP_ID":"x.y"}`, jsField{kind: jsString, str: "a.b", truth: true}, jsField{}},
		{`{"app_id":"a.b","app_id":"c.d"}`, jsField{kind: jsString, str: "c.d", truth: true}, jsField{}},
		{"\uFEFF" + `{"app_id":""}`, jsField{kind: jsString}, jsField{}},
		{`{"app_id":0,"device_id":-1.5e3}`, jsField{kind: jsNumber, str: "0"}, jsField{kind: jsNumber, str: "-1.5e3", truth: true}},
		{`{"app_id":null,"device_id":[]}`, jsField{kind: jsNull}, jsField{kind: jsArray, truth: true}},
		{`{"app_id":{},"device_id":false}`, jsField{kind: jsObject, truth: true}, jsField{kind: jsBool}},
		{`{"app_id":"\u00e9\ud800"}`, jsField{kind: jsString, str: "é\uFFFD", truth: true}, jsField{}},
	} {
		var wb wireBody
		if err := d.decodeBody([]byte(tt.body), &wb); err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if wb.AppID != tt.app || wb.DeviceID != tt.dev {
			t.Errorf("%s: app_id %+v device_id %+v, want %+v %+v", tt.body, wb.AppID, wb.DeviceID, tt.app, tt.dev)
		}
	}
	for _, bad := range []string{``, ` `, `{`, `{"a":1}x`, `nul`, `{"a":01}`} {
		var wb wireBody
		if d.decodeBody([]byte(bad), &wb) == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

// Every member named in wireBody's tags is decoded into its field by the
// hand-written decoder, and only there.
func TestWireBodyFields(t *testing.T) {
	d := newWireDecoder()
	typ := reflect.TypeFor[wireBody]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name == "" {
			continue
		}
		var wb wireBody
		if err := d.decodeBody([]byte(`{"`+name+`":"x","other":"y"}`), &wb); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for j := range typ.NumField() {
			if !typ.Field(j).IsExported() {
				continue
			}
			v := reflect.ValueOf(wb).Field(j)
			set := !v.IsZero()
			if set != (j == i) {
				t.Errorf("member %q: field %s set %v", name, typ.Field(j).Name, set)
			}
		}
		if name == "metadata" && wb.Metadata.kind != jsString {
			t.Errorf("metadata = %+v", wb.Metadata)
		}
	}
}

// FuzzWireBodyMatchesJSONParse: whatever the body, the decoder agrees with
// a plain JSON parse on whether it is JSON, and on each field's kind and
// string value.
func FuzzWireBodyMatchesJSONParse(f *testing.F) {
	raw, _ := json.Marshal(deviceInfo(dev1))
	f.Add(raw)
	for _, s := range []string{`{"app_id":1,"device_id":null,"is_prod":"yes"}`, `[{"a":1}]`, `"x"`, `{"version_build":["1.0.0"]}`,
		`{"platform":"ios","platform":7}`, `{"metadata":{"a":"b"},"action":"set"}`} {
		f.Add([]byte(s))
	}
	d := newWireDecoder()
	f.Fuzz(func(t *testing.T, body []byte) {
		var wb wireBody
		err := d.decodeBody(body, &wb)
		var v any
		valid := json.Unmarshal(body, &v) == nil
		if valid != (err == nil) && json.Valid(body) {
			t.Fatalf("%q: decoder error %v, encoding/json valid %v", body, err, valid)
		}
		m, isObject := jsonParse(body)
		if err != nil || !isObject || wb.top != jsObject {
			return
		}
		for name, f := range map[string]jsField{"app_id": wb.AppID, "device_id": wb.DeviceID, "platform": wb.Platform,
			"version_name": wb.VersionName, "version_build": wb.VersionBuild, "is_prod": wb.IsProd, "action": wb.Action} {
			gv, present := m[name]
			if k := kindOf(gv, present); k != f.kind {
				t.Fatalf("%q: %s kind %d, JSON.parse %d", body, name, f.kind, k)
			}
			if s, ok := gv.(string); ok && s != f.str {
				t.Fatalf("%q: %s = %q, JSON.parse %q", body, name, f.str, s)
			}
		}
	})
}

// BenchmarkDecodeInfo decodes the info object of 1000 devices.
func BenchmarkDecodeInfo(b *testing.B) {
	bodies := make([][]byte, 1000)
	for i := range bodies {
		in := deviceInfo(fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
		bodies[i], _ = json.Marshal(in)
	}
	d := newWireDecoder()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var wb wireBody
		if err := d.decodeBody(bodies[i%len(bodies)], &wb); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// The events of a batch decode as each would alone, though each string
// the previous event repeats is that event's: escapes, invalid UTF-8,
// escaped names and values that differ only slightly from the one before.
func TestStatsBatchAsJSONParse(t *testing.T) {
	events := []string{
		`{"app_id":"a.b","device_id":"d1","platform":"ios","action":"set","version_name":"1.0.0"}`,
		`{"app_id":"a.b","device_id":"d1","platform":"ios","action":"set","version_name":"1.0.0"}`,
		`{"app_id":"a\u002eb","device_id":"D1","platform":"io","action":"sets","version_name":"1.0.0 "}`,
		`{"app_id":"a.c","device_id":"d2","platform":"xyz","action":"get","version_name":"1.0.1"}`,
		`{"app\u005fid":"a.b","device_id":"d1","platform":"ios\u00e9","action":"set","version_name":""}`,
		"{\"app_id\":\"a.b\xff\",\"device_id\":\"d1\",\"platform\":7,\"action\":\"set\",\"version_name\":\"1.0.0\"}",
		`{"app_id":"a.b","device_id":"d1","platform":"ios","action":"set","version_name":"1.0.0"}`,
		`{"device_id":"d1","platform":"ios"}`,
	}
	body := []byte("[" + strings.Join(events, ",") + "]")
	s := &Server{dj: newWireDecoder()}
	sc := s.scratch.get()
	evs, batch, n, ok := s.decodeStats(body, sc)
	if !ok || !batch || n != len(events) || len(evs) != n {
		t.Fatalf("decoded ok %v batch %v n %d events %d", ok, batch, n, len(evs))
	}
	for i, raw := range events {
		m, isObject := jsonParse([]byte(raw))
		if !isObject {
			t.Fatalf("event %d is not an object", i)
		}
		if dev, ok := m["device_id"].(string); ok {
			m["device_id"] = strings.ToLower(dev) // as the backend reads it (plugins/stats.ts:209-229)
		}
		wb := evs[i]
		for name, f := range map[string]jsField{"app_id": wb.AppID, "device_id": wb.DeviceID, "platform": wb.Platform,
			"action": wb.Action, "version_name": wb.VersionName} {
			gv, present := m[name]
			if k := kindOf(gv, present); k != f.kind {
				t.Errorf("event %d: %s kind %d, JSON.parse %d", i, name, f.kind, k)
			}
			if str, _ := gv.(string); str != f.str && f.kind == jsString {
				t.Errorf("event %d: %s = %q, JSON.parse %q", i, name, f.str, str)
			}
		}
	}
}

// Metadata's entries come in Object.entries order: array indexes first
// in numeric order, then the other keys where each first appeared, with
// its last value; a metadata that is no object keeps only its kind.
func TestMetadataEntriesInObjectOrder(t *testing.T) {
	d := newWireDecoder()
	var wb wireBody
	body := `{"metadata":{"b":"x","10":"y","a":"z","b":"w","2":"v","01":"u"},"action":"set"}`
	if err := d.decodeBody([]byte(body), &wb); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range wb.Metadata.entries {
		got = append(got, e.key+"="+e.val.str)
	}
	want := []string{"2=v", "10=y", "b=w", "a=z", "01=u"}
	if wb.Metadata.kind != jsObject || !slices.Equal(got, want) || wb.Action.str != "set" {
		t.Fatalf("metadata %v %v, action %q; want %v", wb.Metadata.kind, got, wb.Action.str, want)
	}
	if err := d.decodeBody([]byte(`{"metadata":{"a":"b"},"metadata":[1]}`), &wb); err != nil {
		t.Fatal(err)
	}
	if wb.Metadata.kind != jsArray || wb.Metadata.entries != nil {
		t.Fatalf("a repeated metadata: %+v, want the last (an array)", wb.Metadata)
	}
}
