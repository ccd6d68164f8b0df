#!/usr/bin/env bash
# Fleet-scale benchmark (docs/benchmarks.md, section "Fleet scale").
#
# Runs the bundled fleet-scale scenario (1,000,000 installed devices and
# the default segments' joining ones, a 16 KB bundle, 24 virtual hours at
# speed 300) against the reference server in the same process:
#   - RUNS times over the in-memory transport (the default);
#   - once over loopback TCP (--transport tcp; TCP=0 skips it);
#   - once at SMALL devices (default 100,000), same scenario and seed, for
#     scale invariance: the largest difference of the judged bundle's
#     adoption between that run and the first 1M run, at every virtual
#     hour, for the fleet and for each segment.
# Per run it prints wall time, the load average before and after (the
# machine is shared: read it beside each figure), peak RSS of the whole
# process (summary and /usr/bin/time), device state per device, requests,
# CPU seconds and CPU µs per request (harness.cpu_us_per_request) and per
# engine event handled (harness.cpu_seconds over harness.events: steadier,
# since a device sends its queued stats in one post when the last one
# comes back, so slow /stats replies mean fewer, larger posts for the same
# work), schedule lag p99, late and dropped events, and whether the
# generator fell behind.
#
# Goals, per 1M run: 0 dropped events, lag p99 <= 1 s, kept to the
# schedule, wall <= 300 s, peak RSS <= 2 GiB, <= 1 KiB of device state
# per device, <= 60 µs of CPU per request; and adoption within 1
# percentage point of the SMALL run.
#
# schedule_budget says what keeping the schedule takes: the SMALL run,
# when it kept its schedule, makes every request its devices' day needs,
# so its requests a device times the 1M run's devices is the day's
# requests, and the machine's cores over the 1M runs' wall give the CPU
# µs a request may cost (null when the SMALL run fell behind too). The benchmark says in how many runs
# each goal was met; exit status 3 when the 1M goals were met in fewer
# than two runs, or the scale-invariance goal was missed.
#
# Run 1 also writes a CPU and a heap profile to $OUT (go tool pprof
# $OUT/otasim $OUT/cpu.pprof).
#
# The runs get Go's soft memory limit, GOMEMLIMIT=$MEMLIMIT (1800MiB):
# without it a run behind grows to twice its live heap (3.1 GiB), with it
# the collector works harder near the limit to keep the peak RSS under
# 2 GiB. MEMLIMIT=off runs without the limit.
#
# Needs jq and /usr/bin/time (Debian package `time`).
# Tunables (environment): RUNS (3), TCP (1), SMALL (100000), DEVICES,
# DURATION, SPEED (override the scenario's), MEMLIMIT (1800MiB, or off),
# OUT (default ${TMPDIR:-/tmp}/otasim-bench-fleet), OTASIM_BIN (a prebuilt
# otasim).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RUNS=${RUNS:-3}
TCP=${TCP:-1}
SMALL=${SMALL:-100000}
OUT=${OUT:-${TMPDIR:-/tmp}/otasim-bench-fleet}
MEMLIMIT=${MEMLIMIT:-1800MiB}
if [ "$MEMLIMIT" = off ]; then unset GOMEMLIMIT; else export GOMEMLIMIT=$MEMLIMIT; fi

command -v jq >/dev/null || die "jq not found (apt-get install jq)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"

rm -rf "$OUT" && mkdir -p "$OUT"
if [ -n "${OTASIM_BIN:-}" ]; then cp "$OTASIM_BIN" "$OUT/otasim"; else go build -o "$OUT/otasim" ./cmd/otasim; fi

extra=()
[ -n "${DURATION:-}" ] && extra+=(--duration "$DURATION")
[ -n "${SPEED:-}" ] && extra+=(--speed "$SPEED")

# run_one NAME ARGS...: one run into $OUT/run-NAME; its figures go to
# $OUT/runs.jsonl.
run_one() {
	local name=$1
	shift
	local load0 code=0
	load0=$(cut -d' ' -f1 /proc/loadavg)
	/usr/bin/time -v -o "$OUT/time-$name.txt" "$OUT/otasim" run fleet-scale --out "$OUT/run-$name" --no-history --quiet \
		"${extra[@]}" "$@" >"$OUT/out-$name.txt" 2>&1 || code=$?
	# 0: every target passed, 3: one failed, 4: inconclusive; anything
	# else is an error.
	if [ "$code" != 0 ] && [ "$code" != 3 ] && [ "$code" != 4 ]; then
		cat "$OUT/out-$name.txt" >&2
		die "run $name failed (exit $code)"
	fi
	local wall maxrss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(k=1;k<=n;k++) s=s*60+p[k]; print s}' "$OUT/time-$name.txt")
	maxrss=$(awk -F': ' '/Maximum resident set size/ {print $2*1024}' "$OUT/time-$name.txt")
	jq -c --arg name "$name" --argjson wall "$wall" --argjson maxrss "$maxrss" \
		--argjson load0 "$load0" --argjson load1 "$(cut -d' ' -f1 /proc/loadavg)" '{
		run: $name, transport: .server.transport, devices: .devices, load: [$load0, $load1], wall_s: $wall,
		peak_rss_mib: (.harness.peak_rss_bytes / 1048576 | floor), time_maxrss_mib: ($maxrss / 1048576 | floor),
		bytes_per_device: (.harness.bytes_per_device | floor), requests: .harness.requests,
		cpu_s: (.harness.cpu_seconds | floor), cpu_us_per_request: (.harness.cpu_us_per_request * 10 | round / 10),
		cpu_us_per_event: (if .harness.events > 0 then .harness.cpu_seconds * 1e6 / .harness.events * 10 | round / 10 else null end),
		lag_p99_ms: .harness.schedule_lag_p99_ms, late_events: .harness.late_events,
		dropped_events: .harness.dropped_events, events: .harness.events, fell_behind: .harness.fell_behind}' \
		"$OUT/run-$name/summary.json" | tee -a "$OUT/runs.jsonl"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg), tree $(git describe --always --dirty 2>/dev/null || echo unknown), GOMEMLIMIT ${GOMEMLIMIT:-off}"
for i in $(seq 1 "$RUNS"); do
	prof=()
	if [ "$i" = 1 ]; then prof=(--cpu-profile "$OUT/cpu.pprof" --mem-profile "$OUT/heap.pprof"); fi
	dev=()
	[ -n "${DEVICES:-}" ] && dev=(--devices "$DEVICES")
	run_one "$i" "${dev[@]}" "${prof[@]}"
done
if [ "$TCP" = 1 ]; then
	dev=()
	[ -n "${DEVICES:-}" ] && dev=(--devices "$DEVICES")
	run_one tcp --transport tcp "${dev[@]}"
fi
run_one small --devices "$SMALL"

# Scale invariance: the judged bundle's adoption at every virtual hour,
# fleet and per segment, in the first run and the small one.
jq --slurpfile big "$OUT/run-1/series.json" --slurpfile small "$OUT/run-small/series.json" \
	-f bench/scale.jq "$OUT/run-1/summary.json" | tee "$OUT/scale.json"

jq -s --slurpfile scale "$OUT/scale.json" --argjson cores "$(nproc)" '
	def median: sort | if length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end;
	map(select(.run != "small" and .run != "tcp")) as $big
	| ($big | map({dropped: (.dropped_events == 0), lag: (.lag_p99_ms <= 1000), schedule: (.fell_behind | not),
		wall: (.wall_s <= 300), rss: (.peak_rss_mib <= 2048), state: (.bytes_per_device <= 1024),
		cpu: (.cpu_us_per_request <= 60)})) as $g
	| ($g | map(all(.[]; .)) | map(select(.)) | length) as $all
	| {runs: ($big | length),
	   median: {wall_s: ($big | map(.wall_s) | median), peak_rss_mib: ($big | map(.peak_rss_mib) | median),
		bytes_per_device: ($big | map(.bytes_per_device) | median), cpu_us_per_request: ($big | map(.cpu_us_per_request) | median),
		cpu_us_per_event: ($big | map(.cpu_us_per_event) | median),
		lag_p99_ms: ($big | map(.lag_p99_ms) | median), dropped_events: ($big | map(.dropped_events) | median)},
	   tcp: (map(select(.run == "tcp")) | first | if . then {cpu_us_per_request, lag_p99_ms, dropped_events, fell_behind} else null end),
	   goals_met_in_runs: ($g[0] | keys | map(. as $k | {($k): ($g | map(.[$k]) | map(select(.)) | length)}) | add),
	   all_1m_goals_met_in_runs: $all,
	   schedule_budget: (map(select(.run == "small" and (.fell_behind | not))) | first
		| if . and ($big | length) > 0 then
			(.requests / .devices) as $rpd | ($rpd * $big[0].devices) as $day
			| {requests_per_device: ($rpd * 10 | round / 10), day_requests: ($day | round), cores: $cores,
			   cpu_us_per_request_needed: ($cores * ($big | map(.wall_s) | median) * 1e6 / $day | round)}
		  else null end),
	   scale_invariance: {max_diff_pts: $scale[0].max_diff_pts, fleet_max_diff_pts: $scale[0].fleet_max_diff_pts,
		by_segment: $scale[0].by_segment, points: $scale[0].points,
		met: ($scale[0].max_diff_pts <= 1 and $scale[0].points > 0)}}' "$OUT/runs.jsonl" | tee "$OUT/goals.json"
echo "profiles: go tool pprof -top $OUT/otasim $OUT/cpu.pprof (and heap.pprof)"
jq -e '.all_1m_goals_met_in_runs >= 2 and .scale_invariance.met' "$OUT/goals.json" >/dev/null || exit 3
