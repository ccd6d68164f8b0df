#!/usr/bin/env bash
# Load-generation benchmark (docs/benchmarks.md, section "Load generation").
#
# The same POST /updates requests (the bodies of the same 1,000 devices,
# in the same order, byte for byte) against the same server for the same
# time, by three generators in turn, ROUNDS rounds:
#   otasim  the max load profile (`otasim run` of a scenario with
#           `load: {profile: max}`), WORKERS workers, every latency into
#           HDR histograms;
#   vegeta  `attack -rate=0 -workers=WORKERS -max-workers=WORKERS`, its
#           results to a file (reported after the run, off the clock);
#   wrk     `-t1 -cWORKERS` with bench/post.lua.
# The server is pinned to core 0 and the generator to core 1 (taskset), so
# that each generator has one core of its own and the server the other.
# Targets: the constant handler (bench/benchtarget, the ceiling
# of net/http) and the demo reference server (`otasim serve --demo`, the full path).
#
# Prints each run, the medians, the spread and the ratios; the goals are
# otasim >= 1.3 x vegeta and >= 0.6 x wrk in requests/s.
# Tunables: ROUNDS DURATION WORKERS DEVICES TARGETS PIN=0 PORT OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WORKERS=${WORKERS:-64}
DEVICES=${DEVICES:-1000}
TARGETS=${TARGETS:-const demo}
PORT=${PORT:-18094}
OUT=${OUT:-.cache/bench-loadgen}

find_vegeta
find_wrk
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$OUT"

echo "== build"
go build -o "$work/otasim" ./cmd/otasim
go build -o "$work/benchtarget" ./bench/benchtarget
go build -o "$work/bodies" ./bench/bodies

cat >"$work/loadgen.yaml" <<EOF
name: loadgen
description: the max load profile of the load-generation benchmark
app:
  id: com.example.app
fleet:
  devices: $DEVICES
  segments:
    - {name: all, share: 1}
run:
  duration: 1h
  seed: 1
  workers: $WORKERS
  connections: $WORKERS
load:
  profile: max
  duration: ${DURATION}s
targets:
  disable: [api]
EOF
"$work/bodies" -scenario "$work/loadgen.yaml" >"$work/bodies.jsonl"
echo "bodies: $(wc -l <"$work/bodies.jsonl") devices, $(head -c 400 "$work/bodies.jsonl" | head -1 | wc -c) bytes for the first: $(head -1 "$work/bodies.jsonl")"

# start_target NAME: starts the server pinned to core 0; sets url.
start_target() {
	case $1 in
	const)
		echo '{"error":"no_new_version_available","message":"up to date","kind":"up_to_date"}' >"$work/reply.json"
		$(pinned 0) "$work/benchtarget" -addr "127.0.0.1:$PORT" -body "$work/reply.json" >"$work/server.log" 2>&1 &
		;;
	demo)
		$(pinned 0) "$work/otasim" serve --demo --addr "127.0.0.1:$PORT" --db "$work/demo.db" >"$work/server.log" 2>&1 &
		;;
	*) die "unknown target $1 (const or demo)" ;;
	esac
	pids+=($!)
	url=http://127.0.0.1:$PORT
	wait_up "$url/healthz"
}

stop_target() {
	local p=${pids[-1]}
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	unset 'pids[-1]'
}

# Each run appends "target tool rps p50_ms p99_ms cpu_share errors" to results.txt.
# otasim's time includes writing report.html after the load (about 0.06
# CPU-s, under 2% of a 10 s run); --no-history keeps the runs out of the
# user's run history.
run_otasim() {
	local dir=$work/run-$1-$2
	pin 1 /usr/bin/time -f "%U %S %e" -o "$work/time" "$work/otasim" run "$work/loadgen.yaml" --target "$url" \
		--out "$dir" --quiet --no-history >"$work/otasim.out" 2>&1 || [ $? -ge 3 ] || { cat "$work/otasim.out"; die "otasim run failed"; }
	jq -r --arg t "$1" --arg cpu "$(cpu_share)" '.load | "\($t) otasim \(.achieved_rps) \(.latency_ms.p50) \(.latency_ms.p99) \($cpu) \(.failed)"' \
		"$dir/summary.json" >>"$OUT/results.txt"
}

run_vegeta() {
	sed "s|@URL@|$url/updates|" "$work/targets.tmpl" >"$work/targets.json"
	pin 1 /usr/bin/time -f "%U %S %e" -o "$work/time" "$VEGETA" attack -format=json -targets="$work/targets.json" \
		-rate=0 -workers="$WORKERS" -max-workers="$WORKERS" -duration="${DURATION}s" -output="$work/vegeta.bin"
	"$VEGETA" report -type=json "$work/vegeta.bin" | jq -r --arg t "$1" --arg cpu "$(cpu_share)" \
		'"\($t) vegeta \(.requests / (.duration / 1e9)) \(.latencies["50th"] / 1e6) \(.latencies["99th"] / 1e6) \($cpu) \(.requests - (.status_codes["200"] // 0))"' \
		>>"$OUT/results.txt"
	rm -f "$work/vegeta.bin"
}

run_wrk() {
	local line
	line=$(BENCH_BODIES=$work/bodies.jsonl pin 1 /usr/bin/time -f "%U %S %e" -o "$work/time" "$WRK" -t1 -c"$WORKERS" \
		-d"${DURATION}s" -s bench/post.lua "$url/updates" | grep '^RESULT') || die "wrk printed no result"
	echo "$line" | sed -E 's/RESULT |[a-z0-9_]+=//g' | awk -v t="$1" -v cpu="$(cpu_share)" \
		'{ printf "%s wrk %s %.3f %.3f %s %d\n", t, $1, $2 / 1000, $3 / 1000, cpu, $6 + $7 }' >>"$OUT/results.txt"
}

# cpu_share: the generator's CPU time over its wall time (1 = one core busy).
cpu_share() { awk '{ printf "%.2f", ($1 + $2) / $3 }' "$work/time"; }

sed 's|.*|{"method":"POST","url":"@URL@","header":{"Content-Type":["application/json"]},"body":"&"}|' \
	<(while IFS= read -r b; do printf '%s' "$b" | base64 -w0; echo; done <"$work/bodies.jsonl") >"$work/targets.tmpl"

machine
echo "peers: vegeta $VEGETA_VERSION ($VEGETA), $("$WRK" -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "workers/connections $WORKERS, ${DURATION}s per run, $ROUNDS rounds, pinning: $([ "${PIN:-1}" = 1 ] && echo 'server core 0, generator core 1' || echo off)"
: >"$OUT/results.txt"
for target in $TARGETS; do
	start_target "$target"
	echo "== target $target ($url): warm-up"
	BENCH_BODIES=$work/bodies.jsonl "$WRK" -t1 -c8 -d2s -s bench/post.lua "$url/updates" >/dev/null
	for round in $(seq "$ROUNDS"); do
		# Alternate the order so that a drift of the machine hits every tool.
		case $((round % 3)) in
		1) order="otasim vegeta wrk" ;;
		2) order="vegeta wrk otasim" ;;
		0) order="wrk otasim vegeta" ;;
		esac
		for tool in $order; do
			"run_$tool" "$target" "$round"
			tail -1 "$OUT/results.txt" | awk -v r="$round" '{ printf "  round %s %-6s %-7s %9.0f req/s  p50 %7.3f ms  p99 %8.3f ms  generator CPU %s  errors %s\n", r, $1, $2, $3, $4, $5, $6, $7 }'
		done
	done
	stop_target
done

echo
echo "== medians of $ROUNDS rounds (req/s, spread in brackets)"
printf '%-7s %-7s %22s %10s %10s %8s %16s\n' target tool "req/s" "p50 ms" "p99 ms" "CPU" "req per CPU-s"
status=0
for target in $TARGETS; do
	for tool in otasim vegeta wrk; do
		col() { awk -v t="$target" -v g="$tool" -v c="$1" '$1 == t && $2 == g { print $c }' "$OUT/results.txt"; }
		printf '%-7s %-7s %10.0f [%s] %10.3f %10.3f %8s %16.0f\n' "$target" "$tool" "$(col 3 | median)" \
			"$(col 3 | awk '{ printf "%.0f\n", $1 }' | spread)" "$(col 4 | median)" "$(col 5 | median)" "$(col 6 | median)" \
			"$(awk -v t="$target" -v g="$tool" '$1 == t && $2 == g && $6 > 0 { print $3 / $6 }' "$OUT/results.txt" | median)"
	done
	o=$(awk -v t="$target" '$1 == t && $2 == "otasim" { print $3 }' "$OUT/results.txt" | median)
	v=$(awk -v t="$target" '$1 == t && $2 == "vegeta" { print $3 }' "$OUT/results.txt" | median)
	w=$(awk -v t="$target" '$1 == t && $2 == "wrk" { print $3 }' "$OUT/results.txt" | median)
	rv=$(awk -v a="$o" -v b="$v" 'BEGIN { printf "%.2f", a / b }')
	rw=$(awk -v a="$o" -v b="$w" 'BEGIN { printf "%.2f", a / b }')
	mv=$(awk -v r="$rv" 'BEGIN { print (r >= 1.3) ? "met" : "NOT MET" }')
	mw=$(awk -v r="$rw" 'BEGIN { print (r >= 0.6) ? "met" : "NOT MET" }')
	echo "$target: otasim/vegeta $rv (goal >= 1.3: $mv), otasim/wrk $rw (goal >= 0.6: $mw)"
	# The three tools of a round ran back to back: their ratio within the
	# round is less exposed to the machine's drift than the medians'.
	for peer in vegeta wrk; do
		echo "  per round otasim/$peer: $(awk -v t="$target" -v p="$peer" '$1 == t && $2 == "otasim" { o[++i] = $3 } $1 == t && $2 == p { q[++j] = $3 } END { for (k = 1; k <= i; k++) printf "%.2f ", o[k] / q[k] }' "$OUT/results.txt")"
	done
	[ "$mv" = met ] && [ "$mw" = met ] || status=3
done
echo "(CPU: the generator's CPU over its wall time; 1.00 = its core saturated, below: the server or the machine's"
echo " other jobs were the limit. req per CPU-s: requests per second of the generator's own CPU, its efficiency)"
echo "raw results: $OUT/results.txt"
exit $status
