package conformance

import (
	"encoding/json"
	"strings"
	"time"
)

// The backend's sources, under supabase/functions/_backend/plugin_runtime/
// unless they start with tests/.
const (
	srcParser     = "utils/plugin_parser.ts"
	srcValidation = "utils/plugin_validation.ts"
	srcUpdate     = "utils/update.ts"
	srcUpdTest    = "tests/updates.test.ts"
)

func one(w want, s ...step) []step {
	if len(s) == 0 {
		return []step{{want: w}}
	}
	s[0].want = w
	return s
}

func body(b any) step { return step{body: b} }

func updatesCases() []tcase {
	var cases []tcase
	add := func(name, src string, b any, w want) {
		cases = append(cases, tcase{name: name, src: src, steps: one(w, body(b))})
	}
	major := func(code, version string) want {
		return refusal(code, map[string]any{"major": true, "version": version, "old": "1.0.0"})
	}
	detail := func(code, version string) want {
		return refusal(code, map[string]any{"major": nil, "version": version, "old": "1.0.0"})
	}
	via := func(channel string, e ...edit) map[string]any {
		return info(append([]edit{set("defaultChannel", channel)}, e...)...)
	}

	// Offers.
	add("builtin device is offered the public channel's bundle", srcUpdate+":684-695, "+srcUpdTest+":153 new version available",
		info(), offer("1.1.0"))
	add("the offer's fields, in the backend's order", srcUpdate+":227-255",
		info(), want{status: 200, fields: map[string]any{"version": "1.1.0", "session_key": "", "manifest": nil, "link": nil, "comment": nil}})
	add("a self-assignable defaultChannel", srcUpdTest+":682 direct channel overwrite, :744", via("beta"), offer("1.2.0"))
	add("an operator's pin wins, private channel included", "utils/pg.ts:547-585, "+srcUpdate+":441-448, "+srcUpdTest+":1202",
		info(set("device_id", pinned), set("defaultChannel", "beta")), offer("1.2.0"))
	add("a pin on a channel whose bundle is deleted falls back", "utils/pg.ts:531-545,575-579, "+srcUpdTest+":214",
		info(set("device_id", pinnedDL)), offer("1.1.0"))
	add("an external bundle is offered at its URL, checksum null", srcUpdate+":242,653",
		via("external"), want{status: 200, body: `{"version":"4.0.0","url":"https://files.example/4.0.0.zip","session_key":"","checksum":null}`})
	add("version_build is coerced before deciding", srcParser+":67-73", info(set("version_build", "1")), offer("1.1.0"))
	add("version_build with a leading v", srcParser+":67-73, utils/utils.ts:56", info(set("version_build", "v1.0")), offer("1.1.0"))
	add("absent booleans: a prod build on a device", srcParser+":74-76", via("noemu", del("is_emulator")), offer("1.2.0"))
	add("null is_prod is a prod build", srcParser+":74-76", via("noprod", set("is_prod", nil)),
		detail("disable_prod_build", "1.2.0"))
	add("unknown fields are ignored", srcValidation+":314-326", info(set("future", map[string]any{"x": 1})), offer("1.1.0"))
	add("device id in capitals is the same device", "utils/hono.ts:325-327",
		info(set("device_id", strings.ToUpper(pinned))), offer("1.2.0"))
	add("electron is a platform", srcUpdTest+":896", info(set("platform", "electron")), offer("1.1.0"))
	add("plugin 3 is not refused (only v4 is)", srcUpdate+":383", info(set("plugin_version", "3.0.0")), offer("1.1.0"))
	add("plugin version with a leading v", srcValidation+":199-210", info(set("plugin_version", "v8.0.0")), offer("1.1.0"))

	// Up to date and builtin.
	add("already on the bundle", srcUpdate+":471-476, "+srcUpdTest+":143",
		info(set("version_name", "1.1.0")), want{status: 200, body: `{"error":"no_new_version_available","message":"No new version available","kind":"up_to_date"}`})
	add("builtin read as the native version", srcParser+":77-79", info(set("version_build", "1.1.0")), refusal("no_new_version_available", nil))
	add("a channel without a bundle sends the device to builtin", srcUpdate+":639-648, utils/pg.ts:474, "+srcUpdTest+":434",
		via("native", set("version_name", "1.1.0")),
		want{status: 200, body: `{"error":"already_on_builtin","message":"Already on builtin","version":"builtin","kind":"up_to_date"}`})
	add("a device on builtin is told builtin too", srcUpdate+":639-648", via("native"),
		want{status: 200, body: `{"error":"already_on_builtin","message":"Already on builtin","version":"builtin","kind":"up_to_date"}`})
	add("builtin from plugin 6.2.0", srcUpdate+":639", via("native", set("plugin_version", "6.2.0")), refusal("already_on_builtin", map[string]any{"version": "builtin"}))
	add("builtin too old below 6.2.0", srcUpdate+":649-651", via("native", set("plugin_version", "6.1.9")),
		want{status: 200, body: `{"error":"revert_to_builtin_plugin_version_too_old","message":"revert_to_builtin used, but plugin version is too old","kind":"failed"}`})
	add("builtin too old on v5", srcUpdate+":649-651", via("native", set("plugin_version", "5.10.0")), refusal("revert_to_builtin_plugin_version_too_old", nil))

	// Plugin-version gates.
	add("plugin v4 is refused", srcUpdate+":383-393", info(set("plugin_version", "4.15.0")),
		want{status: 200, body: `{"error":"unsupported_plugin_version","message":"Plugin version 4.15.0 (v4) is no longer supported. Please upgrade to v5.10.0 or later.","kind":"failed"}`})
	add("key id mismatch above 8.40.7", srcUpdate+":461-468", via("keyed", set("key_id", "other")),
		want{status: 200, fields: map[string]any{"error": "key_id_mismatch", "kind": "blocked", "deviceKeyId": "other", "bundleKeyId": "mine"}})
	add("key id not checked at 8.40.7", srcUpdate+":461", via("keyed", set("key_id", "other"), set("plugin_version", "8.40.7")), offer("1.3.0"))
	add("matching key id", srcUpdate+":461", via("keyed", set("key_id", "mine")), offer("1.3.0"))
	add("metadata from 8.35.0 when the app exposes it", srcUpdate+":221,247-253, tests/update-response-shaping.unit.test.ts:25",
		info(set("app_id", metaApp), set("plugin_version", "8.35.0")),
		want{status: 200, fields: map[string]any{"version": "1.4.0", "link": "https://example.com/changelog/1.4.0", "comment": "Release notes"}})
	add("no metadata below 8.35.0", srcUpdate+":221, tests/update-response-shaping.unit.test.ts:29",
		info(set("app_id", metaApp), set("plugin_version", "8.34.9")), want{status: 200, fields: map[string]any{"version": "1.4.0", "link": nil, "comment": nil}})
	add("no metadata for a pre-release of 8.35.0", "tests/update-response-shaping.unit.test.ts:38",
		info(set("app_id", metaApp), set("plugin_version", "8.35.0-beta.1")), want{status: 200, fields: map[string]any{"link": nil}})
	add("metadata on v7 from 7.35.0", srcUpdate+":221", info(set("app_id", metaApp), set("plugin_version", "7.35.0")),
		want{status: 200, fields: map[string]any{"link": "https://example.com/changelog/1.4.0"}})
	add("no metadata when the app does not expose it", srcUpdate+":248,413", info(), want{status: 200, fields: map[string]any{"link": nil}})

	// No channel.
	add("unknown defaultChannel, no fallback", "utils/pg.ts:746-755", via("nightly"),
		want{status: 200, body: `{"error":"no_channel","message":"no default channel or override","kind":"failed"}`})
	add("private defaultChannel is hidden", srcUpdTest+":697 hides private defaultChannel, :1167", via("internal"), refusal("no_channel", map[string]any{"version": nil, "old": nil}))
	add("platform-incompatible defaultChannel is hidden", srcUpdTest+":790", via("noandroid"), refusal("no_channel", nil))
	add("defaultChannel on a deleted bundle", srcUpdTest+":165", via("deleted"), refusal("no_channel", nil))
	add("no public channel", "utils/pg.ts:756-760, "+srcUpdTest+":1150 disallowed public channel update", info(set("app_id", soloApp)),
		refusal("no_channel", nil))
	add("a self-assignable channel found by defaultChannel without a public one", "utils/pg.ts:746-755",
		info(set("app_id", soloApp), set("defaultChannel", "solo"), set("version_build", "0.9.0")), offer("1.0.0"))

	// Bundles.
	add("a bundle without bytes or URL", srcUpdate+":452-456", via("nobytes"),
		want{status: 200, body: `{"error":"no_bundle","message":"Cannot get bundle","kind":"failed"}`})
	add("an external URL that is not http(s)", srcUpdate+":674-678", via("ftp"),
		want{status: 200, body: `{"error":"no_bundle_url","message":"Cannot get bundle url","kind":"failed"}`})

	// Channel policies, in the backend's order.
	add("platform disabled (pinned)", srcUpdate+":502-510", info(set("device_id", pinnedNA)),
		want{status: 200, body: `{"error":"disabled_platform_android","message":"Cannot update, android is disabled","version":"1.2.0","old":"1.0.0","kind":"blocked"}`})
	add("major held back", srcUpdate+":519-528, "+srcUpdTest+":659", via("major"), major("disable_auto_update_to_major", "2.0.0"))
	add("minor held back", srcUpdate+":539-551, "+srcUpdTest+":932", via("minor"), major("disable_auto_update_to_minor", "1.2.0"))
	add("minor allowed within the minor", srcUpdate+":539-542", via("minor", set("version_build", "1.2.5"), set("version_name", "1.2.5")), offer("1.2.0"))
	add("patch held back", srcUpdate+":554-567, "+srcUpdTest+":970", via("patch"), major("disable_auto_update_to_patch", "1.0.1"))
	add("minimum native version above the device's", srcUpdate+":582-592", via("vnum"),
		want{status: 200, body: `{"error":"disable_auto_update_to_metadata","message":"Cannot upgrade version, min update version > current version","major":true,"version":"1.5.0","old":"1.0.0","kind":"blocked"}`})
	add("minimum native version met", srcUpdate+":583", via("vnum", set("version_build", "1.3.0")), offer("1.5.0"))
	add("misconfigured: no minimum native version", srcUpdate+":573-580", via("misconf"),
		want{status: 200, body: `{"error":"misconfigured_channel","message":"Channel misconf is misconfigured","version":"1.6.0","old":"1.0.0","kind":"failed"}`})
	add("under native", srcUpdate+":596-604, "+srcUpdTest+":921", via("undernative"), detail("disable_auto_update_under_native", "0.9.0"))
	add("prod builds disabled", srcUpdate+":606-613, "+srcUpdTest+":1086", via("noprod"),
		want{status: 200, body: `{"error":"disable_prod_build","message":"Cannot update, prod build is disabled","version":"1.2.0","old":"1.0.0","kind":"blocked"}`})
	add("dev builds disabled", srcUpdate+":614-621, "+srcUpdTest+":1068", via("nodev", set("is_prod", false)), detail("disable_dev_build", "1.2.0"))
	add("devices disabled", srcUpdate+":622-629, "+srcUpdTest+":1040", via("nodevice"), detail("disable_device", "1.2.0"))
	add("emulators disabled", srcUpdate+":630-637, "+srcUpdTest+":1012", via("noemu", set("is_emulator", true)), detail("disable_emulator", "1.2.0"))
	add("old is the parsed version_name", srcUpdate+":277,626-627", via("nodevice", set("version_name", "0.1.0")),
		refusal("disable_device", map[string]any{"old": "0.1.0"}))

	// Rollouts.
	add("a device running the rollout bundle keeps it at 0%", "utils/rollout.ts:140-148, "+srcUpdTest+":287",
		via("rollout", set("version_name", "1.2.0")), refusal("no_new_version_available", nil))
	add("others get the stable bundle at 0%", "utils/rollout.ts:160-168, "+srcUpdTest+":287", via("rollout"), offer("1.1.0"))
	add("a paused rollout keeps its devices", "utils/rollout.ts:140-158, "+srcUpdTest+":352", via("paused", set("version_name", "1.2.0")),
		refusal("no_new_version_available", nil))
	add("a paused rollout admits nobody", "utils/rollout.ts:150-158, "+srcUpdTest+":409", via("paused"), offer("1.1.0"))

	// Refused before deciding.
	add("unknown app", srcUpdate+":316-323, utils/plugin_stats.ts:135, "+srcUpdTest+":671",
		info(set("app_id", "does.not.exist")), want{status: 429, body: `{"error":"on_premise_app","message":"On-premise app detected"}`})
	add("not JSON", "utils/hono.ts:318-324", `{"app_id":`,
		want{status: 400, body: `{"error":"invalid_json_parse_body","message":"Invalid JSON body","moreInfo":{"e":{}}}`})
	add("empty body", "utils/hono.ts:318-324", "", want{status: 400, fields: map[string]any{"error": "invalid_json_parse_body"}})
	add("an empty object", srcParser+":57-59, "+srcUpdTest+":876 missing fields", `{}`, rejected("invalid_json_body", "Cannot parse body"))
	add("an empty array", srcParser+":57-59", `[]`, rejected("invalid_json_body", "Cannot parse body"))
	add("a number", srcParser+":57-59", `5`, rejected("invalid_json_body", "Cannot parse body"))
	add("only the platform", srcParser+":60-62, "+srcUpdTest+":886", `{"platform":"android"}`, rejected("missing_device_id", "Cannot find device_id"))
	add("a non-empty array", srcParser+":60-62", `[1]`, rejected("missing_device_id", "Cannot find device_id"))
	add("no app_id", srcParser+":63-65", info(del("app_id")), rejected("missing_app_id", "Cannot find app_id"))
	add("null body crashes the backend", "utils/hono.ts:325-327, utils/on_error.ts:227-250", `null`,
		want{status: 500, body: `{"error":"unknown_error","message":"Unknown error","moreInfo":{}}`})
	add("a device_id that is no string crashes it", "utils/hono.ts:325-327", info(set("device_id", 12)), want{status: 500, fields: map[string]any{"error": "unknown_error"}})
	add("version_build that is no version", srcParser+":67-71", info(set("version_build", "one.two")),
		want{status: 400, body: `{"error":"semver_error","message":"Native version: one.two doesn't follow semver convention, please check https://capgo.app/semver_tester/ to learn more about semver usage in Capgo","moreInfo":{"version_build":"one.two"}}`})
	add("device id is not a UUID", srcValidation+":147-150, "+srcUpdTest+":851", info(set("device_id", "invalid-uuid")),
		schemaIssue("invalid_json_body", "device_id", "Device ID must be a valid UUID string"))
	add("device id over 36 characters", srcValidation+":143-146", info(set("device_id", strings.Repeat("a", 37))),
		schemaIssue("invalid_json_body", "device_id", "String must contain at most 36 character(s)"))
	add("unsupported platform", srcValidation+":186-197, "+srcUpdTest+":839", info(set("platform", "unsupported_platform")),
		schemaIssue("invalid_json_body", "platform", "Platform is not supported or invalid"))
	add("invalid plugin_version", srcValidation+":199-210, "+srcUpdTest+":865", info(set("plugin_version", "invalid_version")),
		schemaIssue("invalid_json_body", "plugin_version", "Plugin version is invalid"))
	add("missing plugin_version", srcValidation+":201-203", info(del("plugin_version")),
		schemaIssue("invalid_json_body", "plugin_version", "plugin_version is required"))
	add("app id not reverse-domain", srcValidation+":126-136, utils/utils.ts:17", info(set("app_id", "_bad.app")),
		schemaIssue("invalid_json_body", "app_id", "App ID must be a reverse domain string"))
	add("empty version_name", srcValidation+":154-164, tests/plugin-validation.test.ts:235", info(set("version_name", "")),
		schemaIssue("invalid_json_body", "version_name", "Version name is required"))
	add("missing version_build", srcValidation+":166-176", info(del("version_build")),
		want{status: 400, fields: map[string]any{"error": "invalid_json_body"}})
	add("is_prod not a boolean", srcValidation+":79-86", info(set("is_prod", "yes")),
		schemaIssue("invalid_json_body", "is_prod", "is_prod must be a boolean"))
	add("install_source over 64 characters", srcValidation+":117-124", info(set("install_source", strings.Repeat("a", 65))),
		schemaIssue("invalid_json_body", "install_source", "String must contain at most 64 character(s)"))
	add("key_id over 20 characters", srcValidation+":100-115", info(set("key_id", strings.Repeat("k", 21))),
		schemaIssue("invalid_json_body", "key_id", "String must contain at most 20 character(s)"))
	add("defaultChannel not a string", srcValidation+":88-98", info(set("defaultChannel", 1)),
		schemaIssue("invalid_json_body", "defaultChannel", "defaultChannel must be a string"))
	add("every problem at once, in the schema's order", srcValidation+":314-326, tests/plugin-validation.test.ts:223",
		info(set("app_id", "123456768"), set("device_id", "x")),
		want{status: 400, body: `{"error":"invalid_json_body","message":"Cannot parse body","moreInfo":{"parseResult":{"success":false,"error":{"name":"SchemaError","issues":[` +
			`{"message":"App ID must be a reverse domain string","path":["app_id"],"code":"custom"},` +
			`{"message":"Device ID must be a valid UUID string","path":["device_id"],"code":"custom"}]}}}}`})
	add("names are case-sensitive", srcValidation+":314-326", strings.Replace(jsonOf(info()), `"app_id"`, `"APP_ID"`, 1),
		rejected("missing_app_id", "Cannot find app_id"))

	// Health and routes.
	cases = append(cases,
		tcase{name: "GET is a health check", src: "plugins/updates.ts:68-70",
			steps: []step{{method: "GET", want: want{status: 200, body: `{"status":"ok"}`}}}},
		tcase{name: "other methods are not found", src: "utils/hono.ts:243-249",
			steps: []step{{method: "PUT", body: info(), want: want{status: 404, body: `{"error":"not_found","message":"Not found"}`}}}},
	)

	// App-id enumeration: an address that asked for five unknown apps is
	// refused for 15 minutes, known apps included.
	enum := map[string]string{"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}
	var steps []step
	for i := range 4 {
		steps = append(steps, step{body: info(set("app_id", "com.unknown.app"+string(rune('a'+i)))), header: enum,
			want: want{status: 429, body: `{"error":"on_premise_app","message":"On-premise app detected"}`}})
	}
	steps = append(steps,
		step{body: info(set("app_id", "com.unknown.appe")), header: enum, want: want{status: 429, body: `{"error":"on_premise_app"}`}},
		step{body: info(), header: enum, want: want{status: 429, body: `{"error":"on_premise_app"}`}},
		step{body: info(), header: map[string]string{"X-Forwarded-For": "203.0.113.10"}, want: offer("1.1.0")},
		step{body: info(), header: enum, advance: 15*time.Minute + time.Second, want: offer("1.1.0")},
	)
	cases = append(cases, tcase{name: "app-id enumeration is refused per address",
		src: "utils/updateOracleGuard.ts:104-216, " + srcUpdate + ":289-305, tests/update-oracle-guard.unit.test.ts", steps: steps})
	return cases
}

// jsonOf is a body as JSON text, for cases that edit the text itself.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
