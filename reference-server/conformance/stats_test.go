package conformance

import (
	"fmt"
	"strings"

	"github.com/otasim/otasim/protocol"
)

const (
	srcStats     = "plugins/stats.ts"
	srcStatsTest = "tests/stats.test.ts"
)

// results is a batch reply whose every event got status ok, or the error
// given for its index.
func results(n int, errs map[int]string) want {
	var b strings.Builder
	b.WriteString(`{"status":"ok","results":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if e, ok := errs[i]; ok {
			b.WriteString(e)
			continue
		}
		fmt.Fprintf(&b, `{"status":"ok","index":%d}`, i)
	}
	b.WriteString("]}")
	return want{status: 200, body: b.String()}
}

func statsCases() []tcase {
	var cases []tcase
	add := func(name, src string, b any, w want) {
		cases = append(cases, tcase{name: name, src: src, steps: one(w, body(b))})
	}
	ok := want{status: 200, body: `{"status":"ok"}`}
	all := protocol.KnownActions()
	var every []any
	for _, a := range all {
		every = append(every, event(a))
	}
	batch := func(evs ...map[string]any) []any {
		out := make([]any, len(evs))
		for i, e := range evs {
			out[i] = e
		}
		return out
	}
	notFound := func(name string) want {
		return want{status: 200, body: `{"error":"version_not_found","message":"Version not found","app_id":"` + app + `","version_name":"` + name + `"}`}
	}

	add("one event", srcStats+":299-310, "+srcStatsTest+":186", event("set"), ok)
	add("a batch", srcStats+":317-375, "+srcStatsTest+":959", batch(event("get"), event("set")), results(2, nil))
	add("an empty batch", srcStats+":238-240, "+srcStatsTest+":1066", `[]`, want{status: 200, body: `{"status":"ok","results":[]}`})
	add("every action of the backend's list", "plugins/stats_actions.ts:4-96, "+srcStatsTest+":561", every, results(len(every), nil))
	add("a batch of more than the plugin's 200", srcStats+":317-375", batch(func() []map[string]any {
		var out []map[string]any
		for range 250 {
			out = append(out, event("app_moved_to_foreground"))
		}
		return out
	}()...), results(250, nil))
	for _, a := range []string{"download_0", "windows_path_fail", "setChannel", "getChannel", "customIdBlocked", "webview_page_loaded", "uninstall"} {
		add("action "+a+" is accepted", "plugins/stats_actions.ts:4-96", event(a), ok)
	}
	for _, a := range []string{"get_channel", "set_channel", "disableElectron", "explode"} {
		add("action "+a+" is refused", srcValidation+":212-226, "+srcStatsTest+":694", event(a),
			want{status: 400, fields: map[string]any{"error": "invalid_json_body", "message": "Cannot parse body", "kind": nil}})
	}
	add("a refused action in a batch", srcStats+":363-371, "+srcStatsTest+":1016", batch(event("get"), event("invalid_action_xyz")),
		results(2, map[int]string{1: `{"status":"error","error":"invalid_json_body","message":"Cannot parse body","index":1}`}))
	add("the refused action's issue names the list", srcValidation+":221-224", event("explode"),
		schemaIssue("invalid_json_body", "action", "action must be one of: "+strings.Join(all[:], ", ")))

	// Apps and bundles.
	add("unknown app", srcStats+":305-307, "+srcStatsTest+":679", event("get", set("app_id", "does.not.exist")),
		want{status: 429, body: `{"error":"on_premise_app","message":"On-premise app detected"}`})
	add("unknown app in a batch: per event", srcStats+":339-346, "+srcStatsTest+":1169",
		batch(event("get", set("app_id", "does.not.exist")), event("set", set("app_id", "does.not.exist"))),
		results(2, map[int]string{
			0: `{"status":"error","error":"on_premise_app","message":"On-premise app detected","index":0}`,
			1: `{"status":"error","error":"on_premise_app","message":"On-premise app detected","index":1}`}))
	add("a bundle the app does not have", srcStats+":167-170,314, "+srcStatsTest+":374", event("set", set("version_name", "9.9.9")), notFound("9.9.9"))
	add("a deleted bundle", "utils/pg.ts:1136-1167, "+srcStats+":163-170", event("app_launch_ready", set("version_name", "0.8.0")), notFound("0.8.0"))
	add("version_not_found in a batch carries moreInfo", srcStats+":353-361", batch(event("set", set("version_name", "9.9.9"))),
		results(1, map[int]string{0: `{"status":"error","error":"version_not_found","message":"Version not found","index":0,"moreInfo":{"app_id":"` + app + `","version_name":"9.9.9"}}`}))
	add("builtin is read as the native version", srcParser+":77-79", event("reset", set("version_name", "builtin")), ok)
	add("builtin on a native version that is no bundle", srcParser+":77-79, "+srcStats+":167",
		event("reset", set("version_name", "builtin"), set("version_build", "9.0.0")), notFound("9.0.0"))
	add("unknown is always known", srcStats+":163-167", event("app_launch_start", set("version_name", "unknown")), ok)
	add("a failure named bundle:file counts against the bundle", srcStats+":158-161", event("download_manifest_file_fail", set("version_name", "1.1.0:main.js")), ok)
	add("empty version_name passes the schema, not the lookup", srcValidation+":332, tests/plugin-validation.test.ts:242",
		event("set", set("version_name", "")), notFound(""))

	// Legacy download_fail: acknowledged, not recorded, not checked.
	add("download_fail before 7.17.0", srcStats+":68-82,144-150, "+srcStatsTest+":629",
		event("download_fail", set("plugin_version", "7.16.9"), set("version_name", "9.9.9")), ok)
	add("download_fail from a plugin_version that is no version", srcStats+":76-78, "+srcStatsTest+":636",
		event("download_fail", set("plugin_version", "not-a-version"), set("version_name", "9.9.9")), ok)
	add("download_fail on v6 before 6.14.25", srcStats+":81", event("download_fail", set("plugin_version", "6.14.24"), set("version_name", "9.9.9")), ok)
	add("download_fail from 6.14.25 is checked", srcStats+":81", event("download_fail", set("plugin_version", "6.14.25"), set("version_name", "9.9.9")), notFound("9.9.9"))
	add("download_fail from 7.17.0 is checked", srcStats+":80", event("download_fail", set("plugin_version", "7.17.0"), set("version_name", "9.9.9")), notFound("9.9.9"))

	// Validation.
	add("version_os is required", srcValidation+":178-180,333, tests/plugin-validation.test.ts:294", event("set", del("version_os")),
		schemaIssue("invalid_json_body", "version_os", "Version OS is required"))
	add("version_os must be a string", srcValidation+":178-180", event("set", set("version_os", false)),
		schemaIssue("invalid_json_body", "version_os", "Version OS must be a string"))
	add("plugin_version need not be a version", srcValidation+":269", event("set", set("plugin_version", "not-a-version")), ok)
	add("version_build must be one", srcParser+":67-71, "+srcStatsTest+":127", event("set", set("version_build", "invalid_version")),
		want{status: 400, fields: map[string]any{"error": "semver_error", "moreInfo": map[string]any{"version_build": "invalid_version"}}})
	add("platform is any string", srcValidation+":182-184,331", event("set", set("platform", "windows")), ok)
	add("platform must be a string", srcValidation+":182-184, tests/plugin-validation.test.ts:354", event("set", set("platform", true)),
		schemaIssue("invalid_json_body", "platform", "Platform must be a string"))
	add("device id must be a UUID", srcValidation+":138-152", event("set", set("device_id", "device-1")),
		schemaIssue("invalid_json_body", "device_id", "Device ID must be a valid UUID string"))
	add("a device_id that is no string is no crash here", srcStats+":209-229", event("set", set("device_id", 7)),
		schemaIssue("invalid_json_body", "device_id", "Device ID must be a string"))
	add("custom_id over 36 characters", srcValidation+":272", event("set", set("custom_id", strings.Repeat("c", 37))),
		schemaIssue("invalid_json_body", "custom_id", "String must contain at most 36 character(s)"))
	add("metadata of strings", srcValidation+":228-257, "+srcStatsTest+":342", event("webview_javascript_error", set("metadata", map[string]any{"message": "boom"})), ok)
	add("metadata not an object", srcValidation+":233-236", event("set", set("metadata", []any{"x"})),
		schemaIssue("invalid_json_body", "metadata", "metadata must be an object with string values"))
	add("metadata over 30 keys", srcValidation+":238-242", event("set", set("metadata", func() map[string]any {
		m := map[string]any{}
		for i := range 31 {
			m[fmt.Sprint("k", i)] = "v"
		}
		return m
	}())), schemaIssue("invalid_json_body", "metadata", "metadata must contain at most 30 fields"))
	add("a metadata value that is no string", srcValidation+":249-252", event("set", set("metadata", map[string]any{"a": 1})),
		schemaIssue("invalid_json_body", "metadata.a", "metadata values must be strings"))
	add("a metadata value over 2048 characters", srcValidation+":253-255", event("set", set("metadata", map[string]any{"a": strings.Repeat("v", 2049)})),
		schemaIssue("invalid_json_body", "metadata.a", "metadata values must contain at most 2048 characters"))
	add("an event without an action about a known bundle crashes the backend", srcStats+":142-183",
		event("set", del("action")), want{status: 500, body: `{"error":"unknown_error","message":"Unknown error","moreInfo":{}}`})
	add("in a batch it is a processing_error", srcStats+":363-371", batch(event("set", del("action"))),
		results(1, map[int]string{0: `{"status":"error","error":"processing_error","message":"Cannot read properties of undefined (reading 'endsWith')","index":0}`}))
	add("without an action about an unknown bundle", srcStats+":167-170", event("set", del("action"), set("version_name", "9.9.9")), notFound("9.9.9"))
	add("an invalid event in a batch", srcStats+":322-371", batch(event("set"), event("set", set("device_id", "x")), event("set", del("device_id"))),
		results(3, map[int]string{
			1: `{"status":"error","error":"invalid_json_body","message":"Cannot parse body","index":1}`,
			2: `{"status":"error","error":"missing_device_id","message":"Cannot find device_id","index":2}`}))

	// App ids of a body.
	add("first app_id missing", srcStats+":244-248", event("set", del("app_id")),
		want{status: 400, body: `{"error":"invalid_app_id","message":"App ID is required","moreInfo":{}}`})
	add("first app_id not reverse-domain", srcStats+":249-251", event("set", set("app_id", "nodots")),
		want{status: 400, body: `{"error":"invalid_app_id","message":"App ID must be a reverse domain string","moreInfo":{}}`})
	add("a later app_id missing", srcStats+":259-261", batch(event("set"), event("set", del("app_id"))),
		want{status: 200, body: `{"error":"invalid_app_id","message":"App ID is required"}`})
	add("a later app_id not reverse-domain", srcStats+":262-264", batch(event("set"), event("set", set("app_id", "x"))),
		want{status: 200, body: `{"error":"invalid_app_id","message":"App ID must be a reverse domain string"}`})
	add("mixed app ids", srcStats+":266-268, "+srcStatsTest+":1141", batch(event("set"), event("set", set("app_id", metaApp))),
		want{status: 200, body: `{"error":"mixed_app_ids","message":"All events in a batch must have the same app_id"}`})
	add("a byte-order mark before a batch", srcStats+":211 (Request.json decodes the text, a byte-order mark dropped, before JSON.parse)",
		"\uFEFF"+jsonOf(batch(event("set"))), results(1, nil))
	add("not an object", srcStats+":244-248", `5`, want{status: 400, fields: map[string]any{"error": "invalid_app_id"}})
	add("not JSON", srcStats+":226-228", `[{"app_id":`,
		want{status: 400, body: `{"error":"invalid_json_parse_body","message":"Invalid JSON body","moreInfo":{"e":{}}}`})

	cases = append(cases, tcase{name: "GET is a health check", src: srcStats + ":383-385",
		steps: []step{{method: "GET", want: want{status: 200, body: `{"status":"ok"}`}}}})
	return cases
}
