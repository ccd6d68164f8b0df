package conformance

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
)

// tcase is one conformance case: requests in order, each with the reply
// the backend gives it.
type tcase struct {
	name string
	// src is the backend's file:line the expected reply comes from, and
	// the backend test that checks it, if one does.
	src   string
	steps []step
}

// step is one request and the reply it must get.
type step struct {
	method string // default POST
	path   string // default the table's endpoint
	// query is a raw query string; {device} stands for the case's device.
	query string
	// body is a raw string, a JSON value, or nil for none; in a body map
	// made by info or event, {device} stands for the case's device.
	body   any
	header map[string]string
	// advance moves the server's clock before the request.
	advance time.Duration
	want    want
}

// want is a reply: its status, and either the whole JSON body or some of
// its top-level fields, and headers. In fields, a nil value means the field
// is absent, "*" that it is present with any value, and a map is compared
// key by key the same way. names lists the channels of a GET
// /channel_self reply, in order.
type want struct {
	status int
	body   string
	fields map[string]any
	header map[string]string
	names  []string
}

// body edits.
type edit func(m map[string]any)

func set(k string, v any) edit { return func(m map[string]any) { m[k] = v } }
func del(k string) edit        { return func(m map[string]any) { delete(m, k) } }

// info is the info object of a device of the demo app on its builtin
// bundle, with the plugin the simulated devices report, edited.
func info(edits ...edit) map[string]any {
	m := map[string]any{"platform": "android", "device_id": "{device}", "app_id": app, "version_build": "1.0.0",
		"version_code": "1", "version_os": "14", "version_name": "builtin", "plugin_version": protocol.PluginVersion,
		"is_emulator": false, "is_prod": true}
	for _, e := range edits {
		e(m)
	}
	return m
}

// event is a stats event of that device about bundle 1.1.0.
func event(action string, edits ...edit) map[string]any {
	m := info(set("version_name", "1.1.0"), set("old_version_name", "1.0.0"), set("action", action))
	for _, e := range edits {
		e(m)
	}
	return m
}

// query is an info object as query parameters.
func query(edits ...edit) string {
	m := info(edits...)
	q := url.Values{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			q.Set(k, v)
		case bool:
			if v {
				q.Set(k, "true")
			} else {
				q.Set(k, "false")
			}
		}
	}
	return strings.ReplaceAll(q.Encode(), "%7Bdevice%7D", "{device}")
}

func TestConformance(t *testing.T) {
	e := startEnv(t)
	n := 0
	for _, table := range []struct {
		endpoint string
		cases    []tcase
	}{
		{"/updates", append(updatesCases(), manifestCases(t)...)},
		{"/stats", statsCases()},
		{"/channel_self", channelSelfCases()},
	} {
		for _, c := range table.cases {
			n++
			dev := deviceID(n)
			t.Run(strings.TrimPrefix(table.endpoint, "/")+"/"+c.name, func(t *testing.T) {
				if c.src == "" {
					t.Fatal("case cites no backend source")
				}
				for i, s := range c.steps {
					e.clock.Advance(s.advance)
					method, path := cmpOr(s.method, "POST"), cmpOr(s.path, table.endpoint)
					st, raw, hdr := e.sendH(t, method, path, strings.ReplaceAll(s.query, "{device}", dev), withDevice(s.body, dev), s.header)
					if st != s.want.status {
						t.Fatalf("step %d: %s %s: status %d, want %d: %s (%s)", i, method, path, st, s.want.status, raw, c.src)
					}
					checkBody(t, i, raw, s.want, c.src)
					for k, v := range s.want.header {
						if got := hdr.Get(k); got != v {
							t.Errorf("step %d: header %s = %q, want %q (%s)", i, k, got, v, c.src)
						}
					}
				}
			})
		}
	}
	t.Logf("%d cases, backend commit %s", n, BackendCommit)
}

func checkBody(t *testing.T, i int, raw []byte, w want, src string) {
	t.Helper()
	if w.body != "" {
		if !sameJSON(raw, []byte(w.body)) {
			t.Errorf("step %d: reply\n  %s\nwant\n  %s\n(%s)", i, strings.TrimSpace(string(raw)), w.body, src)
		}
		return
	}
	if w.names != nil {
		var list []struct{ Name string }
		if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatalf("step %d: reply is not a list: %s (%s)", i, raw, src)
		}
		got := []string{}
		for _, c := range list {
			got = append(got, c.Name)
		}
		if !reflect.DeepEqual(got, w.names) {
			t.Errorf("step %d: channels %v, want %v (%s)", i, got, w.names, src)
		}
		return
	}
	var got map[string]any
	if len(w.fields) > 0 && json.Unmarshal(raw, &got) != nil {
		t.Fatalf("step %d: reply is not a JSON object: %s (%s)", i, raw, src)
	}
	if why := match(got, w.fields); why != "" {
		t.Errorf("step %d: %s: %s (%s)", i, why, raw, src)
	}
}

// match compares the fields of an object with the wanted ones, as want
// describes; it returns what differs, or "".
func match(got map[string]any, fields map[string]any) string {
	for k, v := range fields {
		g, ok := got[k]
		switch {
		case v == nil:
			if ok {
				return fmt.Sprintf("field %s = %v, want it absent", k, g)
			}
			continue
		case v == "*":
			if !ok || g == nil {
				return "field " + k + " is absent"
			}
			continue
		}
		if _, isNull := v.(jsonNull); isNull {
			if !ok || g != nil {
				return fmt.Sprintf("field %s = %v, want null", k, g)
			}
			continue
		}
		if suffix, isSuffix := v.(urlSuffix); isSuffix {
			if gs, _ := g.(string); !strings.HasSuffix(gs, string(suffix)) {
				return fmt.Sprintf("field %s = %v, want a URL ending in %s", k, g, suffix)
			}
			continue
		}
		if list, isList := v.([]map[string]any); isList {
			gl, _ := g.([]any)
			if len(gl) != len(list) {
				return fmt.Sprintf("field %s has %d elements, want %d", k, len(gl), len(list))
			}
			for i := range list {
				gm, _ := gl[i].(map[string]any)
				if why := match(gm, list[i]); why != "" {
					return fmt.Sprintf("%s[%d]: %s", k, i, why)
				}
			}
			continue
		}
		if sub, isMap := v.(map[string]any); isMap && len(sub) > 0 {
			gm, _ := g.(map[string]any)
			if why := match(gm, sub); why != "" {
				return k + ": " + why
			}
			continue
		}
		wv, _ := json.Marshal(v)
		var want any
		json.Unmarshal(wv, &want)
		if !ok || !reflect.DeepEqual(g, want) {
			return fmt.Sprintf("field %s = %v, want %v", k, g, want)
		}
	}
	return ""
}

// jsonNull is a field that must be there, as null.
type jsonNull struct{}

// urlSuffix is a wanted URL known by its end (the server's address
// varies).
type urlSuffix string

// withDevice puts a case's device id in place of {device} in a body.
func withDevice(body any, dev string) any {
	switch b := body.(type) {
	case string:
		return strings.ReplaceAll(b, "{device}", dev)
	case map[string]any:
		m := maps.Clone(b)
		for k, v := range m {
			if v == "{device}" {
				m[k] = dev
			}
		}
		return m
	case []any:
		out := make([]any, len(b))
		for i, v := range b {
			out[i] = withDevice(v, dev)
		}
		return out
	}
	return body
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Shorthands for the expected replies.

// refusal is a 200 /updates refusal with its kind.
func refusal(code string, fields map[string]any) want {
	f := map[string]any{"error": code, "kind": string(protocol.KindOf(code))}
	maps.Copy(f, fields)
	return want{status: 200, fields: f}
}

// rejected is a request the backend refuses before deciding: 400, no kind.
func rejected(code, msg string) want {
	return want{status: 400, fields: map[string]any{"error": code, "message": msg, "kind": nil, "moreInfo": map[string]any{}}}
}

// schemaIssue is a 400 whose schema found exactly one problem.
func schemaIssue(code, path, msg string) want {
	return want{status: 400, body: `{"error":"` + code + `","message":"Cannot parse body","moreInfo":{"parseResult":{"success":false,` +
		`"error":{"name":"SchemaError","issues":[{"message":` + quote(msg) + `,"path":[` + quote(path) + `],"code":"custom"}]}}}}`}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// offer is a 200 reply offering a bundle.
func offer(version string) want {
	return want{status: 200, fields: map[string]any{"version": version, "error": nil, "session_key": ""}}
}
