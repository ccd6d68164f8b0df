package conformance

import (
	"time"
)

const (
	srcSelf      = "plugins/channel_self.ts"
	srcSelfTest  = "tests/channel_self.test.ts"
	srcSelfLimit = "utils/channelSelfRateLimit.ts"
	srcLimitTest = "tests/channel-rate-limit.test.ts"
	legacyPlugin = "7.0.0" // before 7.34.0: the server keeps the choice
)

func channelSelfCases() []tcase {
	var cases []tcase
	add := func(name, src string, steps ...step) {
		cases = append(cases, tcase{name: name, src: src, steps: steps})
	}
	post := func(channel string, e ...edit) step {
		return step{method: "POST", body: info(append([]edit{set("channel", channel)}, e...)...)}
	}
	put := func(e ...edit) step { return step{method: "PUT", body: info(e...)} }
	del := func(e ...edit) step { return step{method: "DELETE", query: query(e...)} }
	list := func(e ...edit) step { return step{method: "GET", query: query(e...)} }
	with := func(s step, w want) step { s.want = w; return s }
	ok := want{status: 200, body: `{"status":"ok"}`}
	legacy := set("plugin_version", legacyPlugin)
	err200 := func(code, msg string, detail ...string) want {
		b := `{"error":"` + code + `","message":"` + msg + `"`
		for i := 0; i+1 < len(detail); i += 2 {
			b += `,"` + detail[i] + `":"` + detail[i+1] + `"`
		}
		return want{status: 200, body: b + "}"}
	}
	cannot := err200("cannot_override", "Cannot change device override current channel don't allow it")
	offered := func(v string, e ...edit) step {
		return step{method: "POST", path: "/updates", body: info(e...), want: offer(v)}
	}

	// POST: set.
	add("a new plugin's set is only checked", srcSelf+":355-363, "+srcSelfTest+":1162",
		with(post("beta"), want{status: 200, body: `{"status":"ok","allowSet":true}`}), offered("1.1.0"))
	add("missing channel", srcSelf+":701-703, "+srcSelfTest+":130",
		with(post(""), err200("missing_channel", "Cannot find channel in body")))
	add("missing channel comes before the app", srcSelf+":701-705",
		with(post("", set("app_id", "does.not.exist")), err200("missing_channel", "Cannot find channel in body")))
	add("unknown channel", srcSelf+":323-327, "+srcSelfTest+":141",
		with(post("nightly"), err200("channel_not_found", "Cannot find channel", "channel", "nightly", "app_id", app)))
	add("a public channel cannot be picked", srcSelf+":344-351, "+srcSelfTest+":152,1189",
		with(post("production"), err200("public_channel_self_set_not_allowed",
			"This channel is public and does not allow device self-assignment. Unset the channel and the device will automatically use the public channel.",
			"channel", "production", "app_id", app)))
	add("a private channel cannot be picked", srcSelf+":329-353",
		with(post("internal"), err200("channel_self_set_not_allowed", "This channel does not allow devices to self associate", "channel", "internal", "app_id", app)))
	add("any platform's channel may be picked", srcSelf+":323-363", with(post("noandroid"), want{status: 200, body: `{"status":"ok","allowSet":true}`}))
	add("unknown app", srcSelf+":136-140",
		with(post("beta", set("app_id", "does.not.exist")), want{status: 429, body: `{"error":"on_premise_app","message":"On-premise app detected"}`}))
	add("not JSON", "utils/hono.ts:318-324, "+srcSelfTest+":77",
		with(step{method: "POST", body: "invalid json ;-)"}, want{status: 400, fields: map[string]any{"error": "invalid_json_parse_body"}}))
	add("an empty object", srcParser+":57-59, "+srcSelfTest+":90", with(step{method: "POST", body: `{}`}, rejected("invalid_json_body", "Cannot parse body")))
	add("version_build that is no version", srcParser+":67-71, "+srcSelfTest+":98",
		with(post("beta", set("version_build", "invalid semver")), want{status: 400, fields: map[string]any{"error": "semver_error"}}))
	add("no device_id", srcParser+":60-62, "+srcSelfTest+":108", with(post("beta", set("device_id", nil)), rejected("missing_device_id", "Cannot find device_id")))
	add("no app_id", srcParser+":63-65, "+srcSelfTest+":119", with(post("beta", set("app_id", "")), rejected("missing_app_id", "Cannot find app_id")))
	add("channel must be a string", srcValidation+":349", with(post("", set("channel", 7)),
		schemaIssue("invalid_json_body", "channel", "channel must be a string")))
	add("an empty version_build is allowed", srcValidation+":345, tests/plugin-validation.test.ts:286",
		with(post("beta", set("version_build", "")), want{status: 200, body: `{"status":"ok","allowSet":true}`}))

	// Legacy plugins keep the choice on the server.
	add("a legacy set is stored and used by /updates", srcSelf+":365-417, utils/update.ts:342-345, "+srcSelfTest+":637",
		with(post("beta", legacy), ok), offered("1.2.0", legacy),
		with(put(legacy), want{status: 200, body: `{"channel":"beta","status":"override","allowSet":true}`}),
		with(del(legacy), ok),
		with(put(legacy), want{status: 200, body: `{"channel":"production","status":"default"}`}), offered("1.1.0", legacy))
	add("a legacy set of the same channel again is a no-op", srcSelf+":394-399",
		with(post("beta", legacy), ok), step{method: "POST", body: info(set("channel", "beta"), legacy), advance: sameSet, want: ok})
	add("a legacy set of the main channel drops the choice", srcSelf+":366-393",
		with(post("other", legacy, set("app_id", openApp)), ok), offered("1.2.0", legacy, set("app_id", openApp)),
		with(post("main", legacy, set("app_id", openApp)), ok), offered("1.1.0", legacy, set("app_id", openApp)))
	add("an operator's pin stops a legacy set", srcSelf+":302-320",
		with(post("beta", legacy, set("device_id", pinned)), cannot))
	add("an operator's pin stops a legacy unset", srcSelf+":517-539, "+srcSelfTest+":941",
		with(del(legacy, set("device_id", pinned)), cannot), offered("1.2.0", set("device_id", pinned)))
	add("a legacy unset without a choice", srcSelf+":519-521, "+srcSelfTest+":941", with(del(legacy), cannot))
	add("a new plugin's unset touches nothing", srcSelf+":512-515, "+srcSelfTest+":1332",
		with(del(set("device_id", pinned)), ok), offered("1.2.0", set("device_id", pinned)))
	add("plugin_version null is no string", srcValidation+":88-98,350",
		with(post("beta", set("plugin_version", nil)), schemaIssue("invalid_json_body", "plugin_version", "plugin_version must be a string")))
	add("a plugin_version that is no version is taken for a legacy one", srcSelf+":169-180",
		with(post("beta", set("plugin_version", "abc")), ok))
	add("no plugin_version is taken for 0.0.0, which keeps its choice", srcSelf+":169-173",
		with(post("beta", func(m map[string]any) { delete(m, "plugin_version") }), want{status: 200, body: `{"status":"ok","allowSet":true}`}))

	// PUT: get.
	add("a new plugin gets back the channel it sends", srcSelf+":432-445, "+srcSelfTest+":1302",
		with(put(set("channel", "beta")), want{status: 200, body: `{"channel":"beta","status":"override","allowSet":true}`}))
	add("a new plugin without one gets its default", srcSelf+":446-454, "+srcSelfTest+":1316",
		with(put(), want{status: 200, body: `{"channel":"production","status":"default"}`}))
	add("a new plugin's default is not looked up", srcSelf+":448",
		with(put(set("defaultChannel", "nightly")), want{status: 200, body: `{"channel":"nightly","status":"default"}`}))
	add("legacy: the public channel", srcSelf+":459-490, "+srcSelfTest+":770", with(put(legacy), want{status: 200, body: `{"channel":"production","status":"default"}`}))
	add("legacy: any defaultChannel", srcSelf+":459,479-480, "+srcSelfTest+":912",
		with(put(legacy, set("defaultChannel", "internal")), want{status: 200, body: `{"channel":"internal","status":"default"}`}))
	add("legacy: unknown defaultChannel", srcSelf+":470-472, "+srcSelfTest+":927",
		with(put(legacy, set("defaultChannel", "nightly")), err200("channel_not_found", "Cannot find channel")))
	add("legacy: an operator's pin", srcSelf+":461-469, "+srcSelfTest+":843 (with overwrite)",
		with(put(legacy, set("device_id", pinned)), want{status: 200, body: `{"channel":"internal","status":"override","allowSet":false}`}))
	add("legacy: no public channel", srcSelf+":470-485", with(put(legacy, set("app_id", soloApp)), err200("channel_not_found", "Cannot find channel")))
	add("PUT: version_build that is no version", srcSelfTest+":175", with(put(set("version_build", "invalid semver")), want{status: 400, fields: map[string]any{"error": "semver_error"}}))
	add("PUT: no device_id", srcSelfTest+":185", with(put(set("device_id", "")), rejected("missing_device_id", "Cannot find device_id")))
	add("PUT: unknown app", srcSelf+":424-427", with(put(set("app_id", "does.not.exist")), want{status: 429, fields: map[string]any{"error": "on_premise_app"}}))

	// DELETE reads the query.
	add("DELETE without a query", "utils/plugin_parser.ts:87-90,57-59",
		with(step{method: "DELETE"}, rejected("invalid_query_parameters", "Cannot parse body")))
	add("DELETE with a body and no query", "utils/plugin_parser.ts:87-90, "+srcSelf+":745",
		with(step{method: "DELETE", body: info()}, rejected("invalid_query_parameters", "Cannot parse body")))
	add("DELETE: no device_id", srcParser+":60-62, "+srcSelfTest+":230", with(del(set("device_id", nil)), rejected("missing_device_id", "Cannot find device_id")))
	add("DELETE: no app_id", srcParser+":63-65, "+srcSelfTest+":241", with(del(set("app_id", nil)), rejected("missing_app_id", "Cannot find app_id")))
	add("DELETE: version_build that is no version", srcSelfTest+":220", with(del(set("version_build", "invalid semver")),
		want{status: 400, fields: map[string]any{"error": "semver_error"}}))
	add("DELETE: missing version_name", srcValidation+":344", with(del(set("version_name", nil)),
		schemaIssue("invalid_query_parameters", "version_name", "Version name is required")))

	// GET lists public and self-assignable channels.
	add("GET lists public and self-assignable channels", "utils/pg.ts:1434-1482, "+srcSelf+":551-598, "+srcSelfTest+":350",
		with(list(set("app_id", openApp)), want{status: 200, names: []string{"main", "other"}}))
	add("GET without device_id", srcSelf+":768", with(list(set("app_id", soloApp), set("device_id", nil)), want{status: 200, names: []string{"solo"}}))
	add("GET filters the platform", srcSelfTest+":380", with(list(set("app_id", soloApp), set("platform", "ios")), want{status: 200, names: []string{"solo"}}))
	add("GET filters emulators", srcSelfTest+":474", with(list(set("is_emulator", true)), want{status: 200, names: noEmuList()}))
	add("GET defaults to a prod build", srcSelfTest+":588", with(list(set("is_prod", nil)), want{status: 200, names: prodList()}))
	add("GET without a query", srcSelfTest+":254", with(step{method: "GET"}, rejected("invalid_query_parameters", "Cannot parse body")))
	add("GET: app id not reverse-domain", srcSelfTest+":264", with(list(set("app_id", "invalid-app-id")),
		schemaIssue("invalid_query_parameters", "app_id", "App ID must be a reverse domain string")))
	add("GET: no app_id", srcSelfTest+":274", with(list(set("app_id", nil)), rejected("missing_app_id", "Cannot find app_id")))
	add("GET: invalid platform", srcSelfTest+":284", with(list(set("platform", "windows")),
		schemaIssue("invalid_query_parameters", "platform", "Platform is not supported or invalid")))
	add("GET: unknown app", srcSelf+":561-568, "+srcSelfTest+":294", with(list(set("app_id", "com.nonexistent.app")),
		want{status: 429, body: `{"error":"on_premise_app","message":"On-premise app detected"}`}))

	// Rate limits.
	limited := func(extra map[string]any) want {
		mi := map[string]any{"app_id": app, "rateLimitResetAt": "*", "retryAfterSeconds": 1}
		for k, v := range extra {
			mi[k] = v
		}
		return want{status: 429, fields: map[string]any{"error": "too_many_requests", "message": "Too many requests", "moreInfo": mi},
			header: map[string]string{"Retry-After": "1"}}
	}
	var burst []step
	for i := range 5 {
		burst = append(burst, with(post("rl-"+string(rune('a'+i))), want{status: 200, fields: map[string]any{"error": "channel_not_found"}}))
	}
	burst = append(burst, with(post("rl-f"), limited(map[string]any{"device_id": "*"})),
		with(put(), want{status: 200, fields: map[string]any{"status": "default"}}),
		step{method: "POST", body: info(set("channel", "rl-g")), advance: time.Second, want: want{status: 200, fields: map[string]any{"error": "channel_not_found"}}})
	add("five sets a second per device, refused or not; other operations apart", srcSelfLimit+":118-167,225-266, "+srcSelf+":652-664, "+srcLimitTest+":96,207", burst...)
	add("the same set again within 60 s", srcSelfLimit+":156-164, "+srcLimitTest+":158",
		with(post("beta"), want{status: 200, fields: map[string]any{"allowSet": true}}),
		step{method: "POST", body: info(set("channel", "beta")), advance: time.Second + time.Millisecond,
			want: want{status: 429, fields: map[string]any{"error": "too_many_requests", "moreInfo": map[string]any{"retryAfterSeconds": 59}}}},
		step{method: "POST", body: info(set("channel", "noandroid")), want: want{status: 200, fields: map[string]any{"allowSet": true}}},
		step{method: "POST", body: info(set("channel", "beta")), advance: sameSet, want: want{status: 200, fields: map[string]any{"allowSet": true}}})
	var lists []step
	for range 5 {
		lists = append(lists, with(list(set("app_id", soloApp)), want{status: 200, names: []string{"solo"}}))
	}
	lists = append(lists, with(list(set("app_id", soloApp)), want{status: 429, fields: map[string]any{"error": "too_many_requests"}}),
		with(list(set("app_id", soloApp), set("device_id", nil)), want{status: 200, names: []string{"solo"}}))
	add("five lists a second per device; none without a device", srcSelf+":778-800, "+srcLimitTest+":152", lists...)
	ip := map[string]string{"Cf-Connecting-Ip": "198.51.100.7"}
	var perIP []step
	for i := range ipLimit {
		s := put(set("device_id", deviceID(9000+i)))
		s.header = ip
		perIP = append(perIP, with(s, want{status: 200, fields: map[string]any{"status": "default"}}))
	}
	over := put()
	over.header = ip
	otherApp := put(set("app_id", soloApp))
	otherApp.header = ip
	later := put()
	later.header, later.advance = ip, time.Minute
	perIP = append(perIP,
		with(over, want{status: 429, fields: map[string]any{"error": "too_many_requests",
			"moreInfo": map[string]any{"reason": "ip_rate_limit_exceeded", "app_id": app, "device_id": nil, "rateLimitResetAt": "*"}}}),
		with(otherApp, want{status: 200, fields: map[string]any{"status": "default"}}),
		with(later, want{status: 200, fields: map[string]any{"status": "default"}}))
	add("calls per app and client address a minute", srcSelfLimit+":99-107,169-216,268-291, "+srcSelf+":56-62,627-630", perIP...)
	return cases
}

// sameSet is past the window in which the same set is refused.
const sameSet = 61 * time.Second

// prodList and noEmuList are the demo app's channels a prod build on a
// device and on an emulator may pick: public or self-assignable, serving
// android, allowing the kind of build and device (id order).
func prodList() []string {
	return []string{"production", "beta", "major", "minor", "patch", "vnum", "misconf", "undernative", "nodev",
		"noemu", "native", "nobytes", "external", "ftp", "deleted", "keyed", "rollout", "paused"}
}

func noEmuList() []string {
	return []string{"production", "beta", "major", "minor", "patch", "vnum", "misconf", "undernative", "nodev",
		"nodevice", "native", "nobytes", "external", "ftp", "deleted", "keyed", "rollout", "paused"}
}
