package refserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzWireDecoderMatchesEncodingJSON checks that the device endpoints'
// decoder accepts and refuses the info objects encoding/json did, and
// decodes them to the same values.
func FuzzWireDecoderMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		string(infoSeed()),
		`{"APP_ID":"com.example.app","Device_Id":"X","PLATFORM":"ios"}`,
		`{"appid":"com.example.app","device-id":"x"}`,
		`{"app_id":"a","app_id":"b","is_prod":false,"is_prod":true}`,
		`{"app_id":"\xff\xfe","device_id":"\ud800"}`,
		`{"is_prod":null,"is_emulator":null,"app_id":null}`,
		`{"app_id":1}`, `{"is_prod":"yes"}`, `{"is_emulator":0}`,
		`[1,2]`, `null`, ``, `{}`, `{} {}`, `{"a":1e999,"b":[{"c":null}]}`, ` {"app_id":"x"} `,
		`{"app_id":"x",}`, `{"app_id":"\u00e9\u0041"}`, `{"version_name":"1.0.0","future":{"x":[1,2,3]}}`,
	} {
		f.Add([]byte(s))
	}
	dec := newWireDecoder()
	f.Fuzz(func(t *testing.T, body []byte) {
		var std, got wireInfo
		errStd := json.Unmarshal(body, &std)
		errGot := dec.unmarshal(body, &got)
		if (errStd == nil) != (errGot == nil) {
			t.Fatalf("%q: encoding/json error %v, decoder error %v", body, errStd, errGot)
		}
		if errStd == nil && !reflect.DeepEqual(std, got) {
			t.Fatalf("%q: encoding/json %+v, decoder %+v", body, std, got)
		}
		if errGot != nil {
			if msg := jsonProblem(errGot); msg == "" || msg == "invalid JSON body" {
				t.Fatalf("%q: problem %q", body, msg)
			}
		}
	})
}

func TestJSONProblemWording(t *testing.T) {
	dec := newWireDecoder()
	tests := []struct{ body, want string }{
		{`{"app_id":`, "invalid JSON at offset 10"},
		{`{"app_id":1}`, "field app_id must be a string, not number"},
		{`{"is_prod":"yes"}`, "field is_prod must be a boolean, not string"},
		{`[1,2]`, "body must be an object, not array"},
	}
	for _, tt := range tests {
		var wi wireInfo
		err := dec.unmarshal([]byte(tt.body), &wi)
		if err == nil {
			t.Fatalf("%s: no error", tt.body)
		}
		if got := jsonProblem(err); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.body, got, tt.want)
		}
	}
}

// BenchmarkDecodeInfo compares encoding/json and the device endpoints'
// decoder on the info object of the server benchmark, over 1000 device ids.
func BenchmarkDecodeInfo(b *testing.B) {
	bodies := make([][]byte, 1000)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"platform":"android","device_id":"00000000-0000-4000-8000-%012d","app_id":"com.example.app","version_build":"1.0.0","version_code":"1","version_os":"14","version_name":"1.0.0","plugin_version":"8.51.14","is_emulator":false,"is_prod":true}`, i)
	}
	dec := newWireDecoder()
	for _, c := range []struct {
		name string
		fn   func([]byte, any) error
	}{{"encoding-json", json.Unmarshal}, {"go-json-experiment", dec.unmarshal}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				var wi wireInfo
				if err := c.fn(bodies[i%len(bodies)], &wi); err != nil || wi.AppID == "" {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// stdWireEvent is wireEvent as encoding/json decoded it.
type stdWireEvent struct {
	wireInfo
	OldVersionName string          `json:"old_version_name"`
	Action         string          `json:"action"`
	Timestamp      int64           `json:"timestamp"`
	Metadata       json.RawMessage `json:"metadata"`
	VersionName    *string         `json:"version_name"`
}

// FuzzStatsDecoderMatchesEncodingJSON is the same check for stats bodies:
// the split of a batch, each event and its metadata object.
func FuzzStatsDecoderMatchesEncodingJSON(f *testing.F) {
	ev, _ := json.Marshal(event(dev1, "set", "1.1.0", "1.0.0"))
	for _, s := range []string{
		string(ev), "[" + string(ev) + "," + string(ev) + "]", `[{"action":"update_fail"},1,"x",null]`,
		`{"app_id":"com.example.app","metadata":{"a":{"b":1}}}`, `{"metadata":{"a":"x","a":null,"B":"\u00e9"}}`,
		`{"timestamp":1.5}`, `{"timestamp":1e3}`, `{"timestamp":-0}`, `{"timestamp":9223372036854775808}`,
		`{"Version_Name":null,"ACTION":"set"}`, `  [`, `[1,]`, `[] `, `{"metadata":[]}`, `{"metadata":"x"}`,
	} {
		f.Add([]byte(s))
	}
	dec := newWireDecoder()
	f.Fuzz(func(t *testing.T, body []byte) {
		var stdRaws []json.RawMessage
		var raws []jsontext.Value
		errStd, errGot := json.Unmarshal(body, &stdRaws), dec.unmarshal(body, &raws)
		if (errStd == nil) != (errGot == nil) || errStd == nil && len(stdRaws) != len(raws) {
			t.Fatalf("batch %q: encoding/json %d values, error %v; decoder %d, error %v", body, len(stdRaws), errStd, len(raws), errGot)
		}
		var std stdWireEvent
		var got wireEvent
		errStd, errGot = json.Unmarshal(body, &std), dec.unmarshal(body, &got)
		if (errStd == nil) != (errGot == nil) {
			t.Fatalf("event %q: encoding/json error %v, decoder error %v", body, errStd, errGot)
		}
		if errStd != nil {
			return
		}
		if !reflect.DeepEqual(std.wireInfo, got.wireInfo) || std.OldVersionName != got.OldVersionName ||
			std.Action != got.Action || std.Timestamp != got.Timestamp || !bytes.Equal(std.Metadata, got.Metadata) ||
			!reflect.DeepEqual(std.VersionName, got.VersionName) {
			t.Fatalf("event %q: encoding/json %+v, decoder %+v", body, std, got)
		}
		var stdMeta map[string]json.RawMessage
		var meta map[string]jsontext.Value
		errStd, errGot = json.Unmarshal(std.Metadata, &stdMeta), dec.unmarshal(got.Metadata, &meta)
		if len(std.Metadata) > 0 && ((errStd == nil) != (errGot == nil) || len(stdMeta) != len(meta)) {
			t.Fatalf("metadata %q: encoding/json %v, %v; decoder %v, %v", std.Metadata, stdMeta, errStd, meta, errGot)
		}
		for k, v := range stdMeta {
			var s1, s2 string
			e1, e2 := json.Unmarshal(v, &s1), dec.unmarshal(meta[k], &s2)
			if (e1 == nil) != (e2 == nil) || s1 != s2 {
				t.Fatalf("metadata value %q: encoding/json %q, %v; decoder %q, %v", v, s1, e1, s2, e2)
			}
		}
	})
}
