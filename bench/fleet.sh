#!/usr/bin/env bash
# Fleet-scale benchmark (docs/benchmarks.md, section "Fleet scale").
#
# Runs the bundled fleet-scale scenario (1,000,000 installed devices, the
# default segments, a 16 KB bundle, 24 virtual hours at speed 300) against
# the reference server in the same process, RUNS times, and prints per run
# and as medians: wall time, peak RSS of the whole process (the summary's
# harness.peak_rss_bytes, checked against /usr/bin/time), bytes of device
# state per device, requests/s, schedule lag p99, late and dropped events
# and whether the generator fell behind. Goals: wall <= 300 s, peak RSS
# <= 2 GiB, <= 1024 bytes of device state per device.
#
# Run 1 also writes a CPU and a heap profile to $OUT (go tool pprof
# $OUT/otasim $OUT/cpu.pprof).
#
# Needs jq and /usr/bin/time (Debian package `time`).
# Tunables (environment): RUNS (default 3), DEVICES, DURATION, SPEED
# (override the scenario's), OUT (default ${TMPDIR:-/tmp}/otasim-bench-fleet).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
OUT=${OUT:-${TMPDIR:-/tmp}/otasim-bench-fleet}

die() { echo "bench-fleet: $*" >&2; exit 1; }
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"

rm -rf "$OUT" && mkdir -p "$OUT"
go build -o "$OUT/otasim" ./cmd/otasim

extra=()
[ -n "${DEVICES:-}" ] && extra+=(--devices "$DEVICES")
[ -n "${DURATION:-}" ] && extra+=(--duration "$DURATION")
[ -n "${SPEED:-}" ] && extra+=(--speed "$SPEED")

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$RUNS"); do
	prof=()
	if [ "$i" = 1 ]; then prof=(--cpu-profile "$OUT/cpu.pprof" --mem-profile "$OUT/heap.pprof"); fi
	code=0
	/usr/bin/time -v -o "$OUT/time-$i.txt" "$OUT/otasim" run fleet-scale --out "$OUT/run-$i" --no-history --quiet \
		"${extra[@]}" "${prof[@]}" >"$OUT/out-$i.txt" 2>&1 || code=$?
	# 0 PASS, 3 FAIL, 4 INCONCLUSIVE are verdicts (measured here, not
	# judged); 1 and 2 are errors.
	if [ "$code" != 0 ] && [ "$code" != 3 ] && [ "$code" != 4 ]; then
		cat "$OUT/out-$i.txt" >&2
		die "run $i failed (exit $code)"
	fi
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(k=1;k<=n;k++) s=s*60+p[k]; print s}' "$OUT/time-$i.txt")
	maxrss=$(awk -F': ' '/Maximum resident set size/ {print $2*1024}' "$OUT/time-$i.txt")
	jq -c --argjson wall "$wall" --argjson maxrss "$maxrss" '{
		run: '"$i"', wall_s: $wall, devices: .devices, virtual_s: .virtual_seconds,
		peak_rss_mib: (.harness.peak_rss_bytes / 1048576 | floor), time_maxrss_mib: ($maxrss / 1048576 | floor),
		bytes_per_device: (.harness.bytes_per_device | floor), requests: .harness.requests,
		requests_per_s: (.harness.requests_per_s | floor), lag_p99_ms: .harness.schedule_lag_p99_ms,
		late_events: .harness.late_events, dropped_events: .harness.dropped_events, events: .harness.events,
		cpu_s: .harness.cpu_seconds, fell_behind: .harness.fell_behind}' "$OUT/run-$i/summary.json" | tee -a "$OUT/runs.jsonl"
done

jq -s '
	def median: sort | if length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end;
	{runs: length,
	 wall_s: (map(.wall_s) | median), wall_range: [(map(.wall_s) | min), (map(.wall_s) | max)],
	 peak_rss_mib: (map(.peak_rss_mib) | median), bytes_per_device: (map(.bytes_per_device) | median),
	 requests_per_s: (map(.requests_per_s) | median), lag_p99_ms: (map(.lag_p99_ms) | median),
	 dropped_events: (map(.dropped_events) | median), fell_behind: (map(.fell_behind) | any)} as $m
	| $m, "goals: wall <= 300 s: \(if $m.wall_s <= 300 then "met" else "NOT met" end); peak RSS <= 2048 MiB: \(if $m.peak_rss_mib <= 2048 then "met" else "NOT met" end); device state <= 1024 B: \(if $m.bytes_per_device <= 1024 then "met" else "NOT met" end); kept to the schedule: \(if $m.fell_behind then "NO (fell behind)" else "yes" end)"
' "$OUT/runs.jsonl"
echo "profiles: go tool pprof -top $OUT/otasim $OUT/cpu.pprof (and heap.pprof)"
