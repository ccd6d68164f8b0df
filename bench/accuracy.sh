#!/usr/bin/env bash
# Accuracy benchmark (docs/benchmarks.md, section "Accuracy").
#
# bench/delayserver answers POST /updates after exactly 50 ms and measures
# its own time per request (the truth). Two tests, server pinned to core
# 0 and generators to core 1:
#
#  1. Fixed delay: otasim's constant profile at RATE/s for DURATION s,
#     ROUNDS rounds: its p50 and p99 (from the intended send time) against
#     the server's truth. Goal: both within 1 ms. vegeta (-rate=RATE) and
#     wrk (-c50: 50 connections x 50 ms = 1,000 req/s, closed loop) are
#     shown beside it.
#  2. Stall: the same run, with the server frozen for 1 s in the middle
#     (POST /stall?for=1s at DURATION/2). The latency from the intended
#     send time must show the stall in its p99 (~1 s, as wrk2 shows it);
#     the service time (from the actual send, what a closed-loop tool
#     measures) must not. STALL_WORKERS (64) bounds the requests in
#     flight, as wrk's connections do: only those caught in flight see the
#     stall in their service time.
#
# Tunables: ROUNDS RATE DURATION WORKERS STALL_WORKERS DELAY PIN=0 PORT OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
RATE=${RATE:-1000}
DURATION=${DURATION:-10}
WORKERS=${WORKERS:-256}
STALL_WORKERS=${STALL_WORKERS:-64}
DELAY=${DELAY:-50ms}
PORT=${PORT:-18095}
OUT=${OUT:-.cache/bench-accuracy}

find_vegeta
find_wrk
command -v jq >/dev/null || die "jq not found (apt-get install jq)"

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
go build -o "$work/delayserver" ./bench/delayserver
go build -o "$work/bodies" ./bench/bodies

# scenario WORKERS: the constant profile's scenario.
scenario() {
	cat <<EOF
name: accuracy
description: the constant profile of the accuracy benchmark
app:
  id: com.example.app
fleet:
  devices: 1000
  segments:
    - {name: all, share: 1}
run:
  duration: 1h
  seed: 1
  workers: $1
  connections: $1
load:
  profile: constant
  rate: $RATE
  duration: ${DURATION}s
targets:
  disable: [api]
EOF
}
scenario "$WORKERS" >"$work/fixed.yaml"
scenario "$STALL_WORKERS" >"$work/stall.yaml"
"$work/bodies" -scenario "$work/fixed.yaml" >"$work/bodies.jsonl"
url=http://127.0.0.1:$PORT
"$work/bodies" -scenario "$work/fixed.yaml" -vegeta "$url/updates" >"$work/targets.json"

$(pinned 0) "$work/delayserver" -addr "127.0.0.1:$PORT" -delay "$DELAY" >"$work/server.log" 2>&1 &
pids+=($!)
wait_up "$url/healthz"

reset() { curl -sf -X POST "$url/reset"; }
truth() { curl -sf "$url/truth"; }

# Each run appends "test tool p50_ms p99_ms service_p50 service_p99 truth_p50 truth_p99 late" to results.txt.
run_otasim() { # test scenario
	local dir=$work/run-$RANDOM$RANDOM
	reset
	pin 1 "$work/otasim" run "$work/$2.yaml" --target "$url" --out "$dir" --quiet --no-history >"$work/otasim.out" 2>&1 || [ $? -ge 3 ] || # 3, 4: verdicts
		{ cat "$work/otasim.out"; die "otasim run failed"; }
	local t
	t=$(truth)
	jq -r --arg test "$1" --argjson t "$t" '.load | "\($test) otasim \(.latency_ms.p50) \(.latency_ms.p99) \(.service_ms.p50) \(.service_ms.p99) \($t.p50_ms) \($t.p99_ms) \(.late + .dropped)"' \
		"$dir/summary.json" >>"$OUT/results.txt"
}

run_vegeta() { # test
	reset
	pin 1 "$VEGETA" attack -format=json -targets="$work/targets.json" -rate="$RATE" -duration="${DURATION}s" \
		-output="$work/vegeta.bin"
	local t
	t=$(truth)
	"$VEGETA" report -type=json "$work/vegeta.bin" | jq -r --arg test "$1" --argjson t "$t" \
		'"\($test) vegeta \(.latencies["50th"] / 1e6) \(.latencies["99th"] / 1e6) - - \($t.p50_ms) \($t.p99_ms) -"' >>"$OUT/results.txt"
}

run_wrk() { # test connections
	reset
	local line t
	line=$(BENCH_BODIES=$work/bodies.jsonl pin 1 "$WRK" -t1 -c"$2" -d"${DURATION}s" -s bench/post.lua "$url/updates" | grep '^RESULT') ||
		die "wrk printed no result"
	t=$(truth)
	echo "$line" | sed -E 's/RESULT |[a-z0-9_]+=//g' | awk -v test="$1" -v t50="$(echo "$t" | jq .p50_ms)" -v t99="$(echo "$t" | jq .p99_ms)" \
		'{ printf "%s wrk %.3f %.3f - - %s %s -\n", test, $2 / 1000, $3 / 1000, t50, t99 }' >>"$OUT/results.txt"
}

# stall_in: freeze the server for 1 s in the middle of the next run.
stall_in() {
	(sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')" && curl -sf -X POST "$url/stall?for=1s") &
	staller=$!
}

show() {
	tail -1 "$OUT/results.txt" | awk '{ printf "  %-6s %-7s p50 %8s ms  p99 %8s ms  service p50 %8s  p99 %8s  truth p50 %7s  p99 %7s  late+dropped %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
}

machine
echo "peers: vegeta $VEGETA_VERSION, $("$WRK" -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "server: delayserver -delay $DELAY (core 0); generators on core 1; ${RATE}/s for ${DURATION}s, $ROUNDS rounds"
: >"$OUT/results.txt"
echo "== 1. fixed delay (otasim workers $WORKERS)"
for round in $(seq "$ROUNDS"); do
	run_otasim fixed fixed && show
	run_vegeta fixed && show
	run_wrk fixed 50 && show
done
echo "== 2. a 1 s stall at ${DURATION}s/2 (otasim workers $STALL_WORKERS, wrk -c$STALL_WORKERS)"
for round in $(seq "$ROUNDS"); do
	stall_in
	run_otasim stall stall && show
	wait "$staller"
	stall_in
	run_vegeta stall && show
	wait "$staller"
	stall_in
	run_wrk stall "$STALL_WORKERS" && show
	wait "$staller"
done

col() { awk -v t="$1" -v g="$2" -v c="$3" '$1 == t && $2 == g && $c != "-" { print $c }' "$OUT/results.txt"; }
echo
echo "== medians of $ROUNDS rounds (ms)"
printf '%-6s %-7s %9s %9s %12s %12s %10s %10s\n' test tool p50 p99 "service p50" "service p99" "truth p50" "truth p99"
for test in fixed stall; do
	for tool in otasim vegeta wrk; do
		printf '%-6s %-7s %9.3f %9.3f %12s %12s %10.3f %10.3f\n' "$test" "$tool" "$(col $test $tool 3 | median)" "$(col $test $tool 4 | median)" \
			"$(col $test $tool 5 | median)" "$(col $test $tool 6 | median)" "$(col $test $tool 7 | median)" "$(col $test $tool 8 | median)"
	done
done
status=0
d50=$(paste <(col fixed otasim 3) <(col fixed otasim 7) | awk '{ print ($1 - $2) }' | median)
d99=$(paste <(col fixed otasim 4) <(col fixed otasim 8) | awk '{ print ($1 - $2) }' | median)
ok=$(awk -v a="$d50" -v b="$d99" 'BEGIN { print (a <= 1 && a >= -1 && b <= 1 && b >= -1) ? "met" : "NOT MET" }')
echo "fixed delay: otasim - truth: p50 $d50 ms, p99 $d99 ms (goal within 1 ms: $ok)"
[ "$ok" = met ] || status=3
sp99=$(col stall otasim 4 | median)
ss99=$(col stall otasim 6 | median)
ok2=$(awk -v a="$sp99" -v b="$ss99" 'BEGIN { print (a >= 500 && b < 500) ? "met" : "NOT MET" }')
echo "stall: otasim p99 from the intended time $sp99 ms, service-time p99 $ss99 ms (goal: the first shows the 1 s stall, the second not: $ok2)"
[ "$ok2" = met ] || status=3
echo "raw results: $OUT/results.txt"
exit $status
