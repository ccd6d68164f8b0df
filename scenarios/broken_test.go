package scenarios

import (
	"errors"
	"strings"
	"testing"
)

// minimal is a valid scenario the broken files below start from.
const minimal = `run: {duration: 6h}
bundles:
  - version: 1.1.0
    size: 1MB
fleet:
  devices: 100
timeline:
  - at: 1h
    release: {channel: production, bundle: 1.1.0}
`

// withSegments puts segments into the minimal scenario.
func withSegments(segments string) string {
	return strings.Replace(minimal, "  devices: 100\n", "  devices: 100\n  segments:\n"+segments, 1)
}

// brokenFiles are scenario files with known problems and the exact
// messages they must give, every problem of a file at once.
var brokenCases = []struct {
	name string
	yaml string
	want []string
}{
	{
		name: "unknown top-level key with a suggestion",
		yaml: minimal + "flet: {devices: 3}\n",
		want: []string{
			"x.yaml:10:1: unknown key \"flet\" (did you mean \"fleet\"?)",
		},
	},
	{
		name: "misspelt section: nothing reported missing inside it",
		yaml: strings.Replace(minimal, "fleet:", "flet:", 1),
		want: []string{
			"x.yaml:5:1: unknown key \"flet\" (did you mean \"fleet\"?)",
		},
	},
	{
		name: "unknown nested key with a suggestion",
		yaml: strings.Replace(minimal, "  devices: 100", "  devises: 100", 1),
		want: []string{
			"x.yaml:6:3: fleet: unknown key \"devises\" (did you mean \"devices\"?)",
		},
	},
	{
		name: "unknown key without a suggestion",
		yaml: minimal + "colour: blue\n",
		want: []string{
			"x.yaml:10:1: unknown key \"colour\" (expected one of: app, bundles, description, fleet, load, name, network_profiles, run, target, targets, timeline)",
		},
	},
	{
		name: "wrong type: a word for a number",
		yaml: strings.Replace(minimal, "devices: 100", "devices: many", 1),
		want: []string{
			"x.yaml:6:12: fleet.devices: got the string \"many\" (expected a whole number)",
		},
	},
	{
		name: "wrong type: a list for a mapping",
		yaml: minimal + "network_profiles: [wifi]\n",
		want: []string{
			"x.yaml:10:19: network_profiles: got a list (expected a mapping of names to mappings)",
		},
	},
	{
		name: "unquoted version read as a number",
		yaml: strings.Replace(minimal, "version: 1.1.0", "version: 1.1", 1),
		want: []string{
			"x.yaml:3:14: bundles[0].version: got the number 1.1 (expected a string; quote it: \"1.1\")",
		},
	},
	{
		name: "share out of range",
		yaml: withSegments(`    - {name: a, share: 1.4}
`),
		want: []string{
			"x.yaml:8:24: fleet.segments[0].share: 1.4 is out of range (expected a number from 0 to 1)",
		},
	},
	{
		name: "shares not summing to 1",
		yaml: withSegments(`    - {name: a, share: 0.5}
    - {name: b, share: 0.3}
`),
		want: []string{
			"x.yaml:8:5: fleet.segments: shares sum to 0.8 (expected 1)",
		},
	},
	{
		name: "platform shares and an unknown platform",
		yaml: withSegments(`    - name: a
      share: 1
      platforms: {ios: 0.5, windows: 0.2}
`),
		want: []string{
			"x.yaml:10:19: fleet.segments[0].platforms: shares sum to 0.7 (expected 1)",
			"x.yaml:10:38: fleet.segments[0].platforms.windows: unknown platform \"windows\" (expected one of: ios, android)",
		},
	},
	{
		name: "bad duration",
		yaml: strings.Replace(minimal, "duration: 6h", "duration: 5 minutes", 1),
		want: []string{
			"x.yaml:1:17: run.duration: \"5 minutes\" is not a duration (expected a duration such as 90s or 24h)",
		},
	},
	{
		name: "duration without a unit",
		yaml: strings.Replace(minimal, "duration: 6h", "duration: 90", 1),
		want: []string{
			"x.yaml:1:17: run.duration: 90 has no unit (expected a duration such as 90s or 24h)",
		},
	},
	{
		name: "bad size",
		yaml: strings.Replace(minimal, "size: 1MB", "size: 5 megs", 1),
		want: []string{
			"x.yaml:4:11: bundles[0].size: \"5 megs\" is not a number with a unit (expected a size such as 5MB, 512KiB or a number of bytes)",
		},
	},
	{
		name: "size below 1 KiB",
		yaml: strings.Replace(minimal, "size: 1MB", "size: 100", 1),
		want: []string{
			"x.yaml:4:11: bundles[0].size: 100B is out of range (expected a size from 1KiB to 2GiB)",
		},
	},
	{
		name: "bad bandwidth",
		yaml: minimal + "network_profiles:\n  wifi: {bandwidth: fast}\n",
		want: []string{
			"x.yaml:11:21: network_profiles.wifi.bandwidth: \"fast\" has no known unit (expected a bandwidth such as 10Mbps or 100KB/s)",
		},
	},
	{
		name: "unknown network profile",
		yaml: withSegments(`    - name: a
      share: 1
      networks: {wifi: 0.5, 5g: 0.5}
`),
		want: []string{
			"x.yaml:10:33: fleet.segments[0].networks.5g: unknown network profile \"5g\" (expected one of: 3g, 4g, flaky, wifi)",
		},
	},
	{
		name: "missing bundle in a step",
		yaml: minimal + "  - at: 2h\n    rollout: {channel: production, bundle: 2.0.0, percent: 10}\n",
		want: []string{
			"x.yaml:11:44: timeline[1].rollout.bundle: unknown bundle \"2.0.0\" (expected one of: builtin, 1.1.0)",
		},
	},
	{
		name: "two actions in one step",
		yaml: minimal + "  - at: 2h\n    pause: {channel: production}\n    resume: {channel: production}\n",
		want: []string{
			"x.yaml:10:5: timeline[1]: 2 actions (pause, resume) in one step (expected exactly one; write one step for each)",
		},
	},
	{
		name: "step without an action",
		yaml: minimal + "  - at: 2h\n",
		want: []string{
			"x.yaml:10:5: timeline[1]: no action (expected exactly one of: release, rollout, set_percent, pause, resume, promote, rollback, guard, cdn_faults, api_faults, clear_faults)",
		},
	},
	{
		name: "step after the end of the run",
		yaml: minimal + "  - at: 7h\n    release: {channel: production, bundle: builtin}\n",
		want: []string{
			"x.yaml:10:9: timeline[1].at: 7h is after the end of the run (expected at most run.duration, 6h)",
		},
	},
	{
		name: "percent out of range and too precise",
		yaml: minimal + "  - at: 2h\n    rollout: {channel: production, bundle: 1.1.0, percent: 120}\n  - at: 3h\n    set_percent: {channel: production, percent: 12.345}\n",
		want: []string{
			"x.yaml:11:60: timeline[1].rollout.percent: 120 is out of range (expected a percentage from 0 to 100)",
			"x.yaml:13:49: timeline[2].set_percent.percent: 12.345 has more than two decimals (expected a percentage to 0.01)",
		},
	},
	{
		name: "bad semver",
		yaml: strings.Replace(minimal, "run:", "app: {builtin: v1}\nrun:", 1),
		want: []string{
			"x.yaml:1:16: app.builtin: \"v1\" is not a semantic version (expected a version such as 1.2.0)",
		},
	},
	{
		name: "bad maintenance window",
		yaml: withSegments(`    - name: a
      share: 1
      maintenance_window: {start: "2:00", end: "24:00"}
`),
		want: []string{
			"x.yaml:10:35: fleet.segments[0].maintenance_window.start: \"2:00\" is not a time of day (expected HH:MM, e.g. 02:00)",
			"x.yaml:10:48: fleet.segments[0].maintenance_window.end: \"24:00\" is not a time of day (expected HH:MM, e.g. 04:00)",
		},
	},
	{
		name: "bad URL",
		yaml: minimal + "target:\n  updates_url: 127.0.0.1:8080/updates\n  admin_url: ftp://x/admin\n",
		want: []string{
			"x.yaml:11:16: target.updates_url: \"127.0.0.1:8080/updates\" is not an absolute URL (expected http:// or https:// and a host)",
			"x.yaml:12:14: target.admin_url: \"ftp://x/admin\" is not an absolute URL (expected http:// or https:// and a host)",
		},
	},
	{
		name: "update mode and periodic check",
		yaml: withSegments(`    - name: a
      share: 1
      update_mode: atbackground
      periodic_check: 5m
`),
		want: []string{
			"x.yaml:10:20: fleet.segments[0].update_mode: \"atbackground\" is not an update mode (did you mean \"atBackground\"? the case matters)",
			"x.yaml:11:23: fleet.segments[0].periodic_check: 5m is too often (expected 0 for none, or at least 600s as the plugin allows)",
		},
	},
	{
		name: "guard action and threshold",
		yaml: minimal + "  - at: 0s\n    guard: {channel: production, threshold: 2, action: stop}\n",
		want: []string{
			"x.yaml:11:45: timeline[1].guard.threshold: 2 is out of range (expected a failure rate above 0 and at most 1)",
			"x.yaml:11:56: timeline[1].guard.action: \"stop\" is not a guard action (expected pause, rollback or notify)",
		},
	},
	{
		name: "self-assign to a channel that does not allow it",
		yaml: withSegments(`    - {name: a, share: 1, self_assign: production}
`),
		want: []string{
			"x.yaml:8:40: fleet.segments[0].self_assign: channel \"production\" does not allow self-assign (expected a channel with allow_self_set: true)",
		},
	},
	{
		name: "unknown metric and both bounds",
		yaml: minimal + "targets:\n  extra:\n    - {metric: api.updates.p99, max: 1, min: 0}\n",
		want: []string{
			"x.yaml:12:8: targets.extra[0]: expected exactly one of max or min",
			"x.yaml:12:16: targets.extra[0].metric: unknown metric \"api.updates.p99\" (did you mean \"api.updates.p99_ms\"?)",
		},
	},
	{
		name: "arms that do not sum to 1",
		yaml: withSegments(`    - name: a
      share: 1
      arms:
        - {name: x, share: 0.5, push: true}
        - {name: y, share: 0.4}
`),
		want: []string{
			"x.yaml:11:9: fleet.segments[0].arms: shares sum to 0.9 (expected 1)",
		},
	},
	{
		name: "diurnal with 23 weights",
		yaml: withSegments(`    - name: a
      share: 1
      diurnal: [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]
`),
		want: []string{
			"x.yaml:10:16: fleet.segments[0].diurnal: has 23 weights (expected a curve name or exactly 24 hourly weights)",
		},
	},
	{
		name: "error rates, aborts and the response timeout out of range",
		yaml: strings.Replace(minimal, "run: {duration: 6h}", "run: {duration: 6h, response_timeout: 0s}", 1) +
			"targets:\n  api_error_rate: 2\n  disable: [api_errors, cdn_error]\n  abort_on_fail:\n    - {target: api_errors, delay: -1s}\n    - {target: nope}\n" +
			"  extra:\n    - {metric: api.updates.p99_ms, max: 100, delay: 1m}\n",
		want: []string{
			"x.yaml:1:39: run.response_timeout: 0s is out of range (expected a duration above 0 and at most 10m)",
			"x.yaml:11:19: targets.api_error_rate: 2 is out of range (expected a number from 0 to 1)",
			"x.yaml:12:25: targets.disable[1]: unknown target \"cdn_error\" (expected one of adoption, cdn, success_rate, api, api_errors, cdn_errors)",
			"x.yaml:14:16: targets.abort_on_fail[0].target: target api_errors is disabled",
			"x.yaml:14:35: targets.abort_on_fail[0].delay: -1s is negative (expected a duration such as 90s or 24h)",
			"x.yaml:15:16: targets.abort_on_fail[1].target: unknown target \"nope\" (expected one of adoption, cdn, success_rate, api, api_errors, cdn_errors, or api_errors.ENDPOINT)",
			"x.yaml:17:53: targets.extra[0].delay: a delay is for abort_on_fail: true",
		},
	},
	{
		name: "load profile without its fields",
		yaml: minimal + "load: {profile: constant}\n",
		want: []string{
			"x.yaml:10:8: load.duration: missing (expected a duration above 0, such as 10m)",
			"x.yaml:10:8: load.rate: missing (expected requests per second above 0)",
		},
	},
	{
		name: "join without devices, ending after the run",
		yaml: withSegments(`    - {name: a, share: 1, join: {from: 1h, to: 8h}}
`),
		want: []string{
			"x.yaml:8:34: fleet.segments[0].join.devices: missing (expected a number of devices joining during the run, from 1 to 10000000)",
			"x.yaml:8:48: fleet.segments[0].join.to: 8h is after the end of the run (6h)",
		},
	},
	{
		name: "set_percent before any rollout on the channel",
		yaml: minimal + "  - at: 2h\n    set_percent: {channel: production, percent: 50}\n  - at: 3h\n    rollout: {channel: production, bundle: 1.1.0, percent: 10}\n  - at: 4h\n    promote: {channel: beta}\n",
		want: []string{
			"x.yaml:11:28: timeline[1].set_percent.channel: no rollout on channel \"production\" starts at or before 2h (expected a rollout step first)",
			"x.yaml:15:24: timeline[3].promote.channel: no rollout on channel \"beta\" starts at or before 4h (expected a rollout step first)",
		},
	},
	{
		name: "endpoint URLs without the /updates one",
		yaml: minimal + "target:\n  stats_url: http://127.0.0.1:8080/stats\n",
		want: []string{
			"x.yaml:11:3: target.updates_url: missing (expected the /updates URL when other endpoint URLs are given)",
		},
	},
	{
		name: "several problems reported together",
		yaml: `flet: 3
run: {duration: 90, speed: -1}
bundles:
  - version: 1.1.0
    size: 1KB
fleet:
  devices: 0
  segments:
    - {name: a, share: 0.7}
    - {name: a, share: 0.2}
timeline:
  - at: 1h
    release: {channel: prod, bundle: 1.1.0}
`,
		want: []string{
			"x.yaml:1:1: unknown key \"flet\" (did you mean \"fleet\"?)",
			"x.yaml:2:17: run.duration: 90 has no unit (expected a duration such as 90s or 24h)",
			"x.yaml:2:28: run.speed: -1 is out of range (expected a number above 0 and at most 1000000 virtual seconds per second)",
			"x.yaml:5:11: bundles[0].size: 1KB is out of range (expected a size from 1KiB to 2GiB)",
			"x.yaml:7:12: fleet.devices: 0 is out of range (expected a number of devices from 1 to 10000000)",
			"x.yaml:9:5: fleet.segments: shares sum to 0.9 (expected 1)",
			"x.yaml:10:14: fleet.segments[1].name: segment \"a\" is defined twice",
			"x.yaml:13:24: timeline[0].release.channel: unknown channel \"prod\" (expected one of: production, beta)",
		},
	},
	{
		name: "YAML syntax error",
		yaml: "run: {duration: 6h\n",
		want: []string{
			"x.yaml:1:6: could not find flow mapping end token '}' (expected valid YAML)",
		},
	},
	{
		name: "tab indentation",
		yaml: "run:\n\tduration: 6h\n",
		want: []string{
			"x.yaml:2:1: found character '\t' that cannot start any token (expected valid YAML)",
		},
	},
	{
		name: "duplicate key",
		yaml: minimal + "run: {duration: 1h}\n",
		want: []string{
			"x.yaml:10:1: mapping key \"run\" already defined at [1:1] (expected valid YAML)",
		},
	},
	{
		name: "two documents",
		yaml: minimal + "---\nname: other\n",
		want: []string{
			"x.yaml:11:1: a second YAML document (expected one scenario per file)",
		},
	},
	{
		name: "empty file",
		yaml: "",
		want: []string{
			"x.yaml:1:1: the file holds no scenario (expected a mapping with fleet, bundles, timeline, ...)",
		},
	},
	{
		name: "a list instead of a scenario",
		yaml: "- a\n- b\n",
		want: []string{
			"x.yaml:1:1: got a list (expected a mapping)",
		},
	},
	{
		name: "alias to a missing anchor",
		yaml: minimal + "description: *nothing\n",
		want: []string{
			"x.yaml:10:14: description: alias *nothing names no anchor defined before it",
		},
	},
}

func TestBrokenFiles(t *testing.T) {
	if _, err := Parse("minimal.yaml", []byte(minimal)); err != nil {
		t.Fatalf("the base scenario does not parse:\n%v", err)
	}
	for _, tc := range brokenCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("x.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse accepted the file (scenario %q)", s.Name)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tc.want, "\n      "))
			}
			if len(perr.Problems) != len(tc.want) {
				t.Errorf("%d problems, want %d", len(perr.Problems), len(tc.want))
			}
		})
	}
}
