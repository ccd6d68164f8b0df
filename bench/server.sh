#!/usr/bin/env bash
# Server benchmark (docs/benchmarks.md, section "Server").
#
# Measures POST /updates of the demo reference server (`otasim serve
# --demo`) side by side with bench/benchtarget, a constant
# handler answering the same reply bytes:
#   1. throughput: wrk, closed loop, ROUNDS rounds alternating the two;
#   2. latency at a fixed rate: vegeta at half the full path's median
#      requests/s, ROUNDS rounds alternating the two;
#   3. latency with few connections: wrk -c LOW_CONNS (a closed loop light
#      enough for a 2-core machine, where vegeta may not keep the rate).
# Prints the medians, the ratio and whether the goals are met:
# full >= 50% of the constant handler's requests/s, p99 < 10 ms at half rate.
#
# Needs wrk (Debian package `wrk`), vegeta
# (go install github.com/tsenart/vegeta/v12@v12.13.0) and jq.
# Tunables (environment): ROUNDS DURATION THREADS CONNS LOW_CONNS RATE_DURATION
# FULL_PORT CONST_PORT PPROF=1 (serve the demo from `benchtarget -demo`, the
# same code plus pprof, and save a 5 s CPU profile of round 1 to $OUT),
# RATE (the fixed rate; default half the full path's median requests/s),
# FULL_URL (benchmark a server already running there instead of the demo),
# SERVER_CPUS and LOAD_CPUS (taskset CPU lists: both servers on
# SERVER_CPUS, wrk and vegeta on LOAD_CPUS, e.g. SERVER_CPUS=0 LOAD_CPUS=1,
# so that the load generator does not take the servers' core), OTASIM_BIN
# (a prebuilt otasim to serve the demo instead of the tree's, e.g. an older
# commit's, for a before/after comparison in the same conditions).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
LOW_CONNS=${LOW_CONNS:-4}
RATE_DURATION=${RATE_DURATION:-10s}
FULL_PORT=${FULL_PORT:-18080}
CONST_PORT=${CONST_PORT:-18091}
PPROF_PORT=${PPROF_PORT:-18092}
APP=${BENCH_APP:-com.example.app}
OUT=${OUT:-${TMPDIR:-/tmp}/otasim-bench-server}

. bench/lib.sh
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
VEGETA=$(command -v vegeta || { [ -x .cache/bin/vegeta ] && echo "$PWD/.cache/bin/vegeta"; } || echo "$(go env GOPATH)/bin/vegeta")
[ -x "$VEGETA" ] || die "vegeta not found (GOBIN=\$PWD/.cache/bin go install github.com/tsenart/vegeta/v12@v12.13.0)"

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "== build"
go build -o "$work/benchtarget" ./bench/benchtarget
const=http://127.0.0.1:$CONST_PORT
if [ -n "${FULL_URL:-}" ]; then
	full=$FULL_URL
	: >"$work/serve.log"
else
	full=http://127.0.0.1:$FULL_PORT
	if [ "${PPROF:-}" = 1 ]; then
		# The same server code in benchtarget -demo, which adds pprof.
		pin_set_bg "${SERVER_CPUS:-}" "$work/benchtarget" -demo -addr "127.0.0.1:$FULL_PORT" -pprof "127.0.0.1:$PPROF_PORT" >"$work/serve.log" 2>&1 &
	else
		if [ -n "${OTASIM_BIN:-}" ]; then cp "$OTASIM_BIN" "$work/otasim"; else go build -o "$work/otasim" ./cmd/otasim; fi
		pin_set_bg "${SERVER_CPUS:-}" "$work/otasim" serve --demo --addr "127.0.0.1:$FULL_PORT" --db "$work/bench.db" >"$work/serve.log" 2>&1 &
	fi
	pids+=($!)
fi
wait_up "$full/healthz"

info() {
	printf '{"platform":"android","device_id":"00000000-0000-4000-8000-%012d","app_id":"%s","version_build":"1.0.0","version_code":"1","version_os":"14","version_name":"1.0.0","plugin_version":"8.51.14","is_emulator":false,"is_prod":true}' "$1" "$APP"
}
curl -sf -X POST -H 'Content-Type: application/json' -d "$(info 0)" "$full/updates" >"$work/reply.json" ||
	die "POST /updates failed on the demo server (see its log: $(tail -5 "$work/serve.log"))"
echo "demo reply ($(wc -c <"$work/reply.json") bytes): $(cat "$work/reply.json")"

pin_set_bg "${SERVER_CPUS:-}" "$work/benchtarget" -addr "127.0.0.1:$CONST_PORT" -body "$work/reply.json" &
pids+=($!)
wait_up "$const/healthz"

# vegeta targets: one per device of a pool of 1000, in vegeta's JSON format.
for i in $(seq 0 999); do
	printf '{"method":"POST","url":"%%s/updates","header":{"Content-Type":["application/json"]},"body":"%s"}\n' \
		"$(info "$i" | base64 -w0)"
done >"$work/targets.tmpl"
sed "s|%s|$full|" "$work/targets.tmpl" >"$work/targets-full.json"
sed "s|%s|$const|" "$work/targets.tmpl" >"$work/targets-const.json"

run_wrk() { # name url -> appends "name rps p50 p90 p99 requests errors non2xx" (µs) to wrk.txt
	local line
	line=$(BENCH_APP=$APP pin_set "${LOAD_CPUS:-}" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s bench/updates.lua "$2/updates" | grep '^RESULT') ||
		die "wrk against $1 printed no result"
	echo "  $1: $line"
	echo "$1 $line" | sed -E 's/RESULT |[a-z0-9_]+=//g' >>"$work/wrk.txt"
}

run_wrk_low() { # name url -> appends the RESULT fields to wrk-low.txt
	local line
	line=$(BENCH_APP=$APP pin_set "${LOAD_CPUS:-}" wrk -t1 -c"$LOW_CONNS" -d"$DURATION" -s bench/updates.lua "$2/updates" | grep '^RESULT') ||
		die "wrk against $1 printed no result"
	echo "  $1: $line"
	echo "$1 $line" | sed -E 's/RESULT |[a-z0-9_]+=//g' >>"$work/wrk-low.txt"
}

run_vegeta() { # name rate -> appends "name p50 p90 p99 success" (µs) to vegeta.txt
	local r
	r=$(pin_set "${LOAD_CPUS:-}" "$VEGETA" attack -format=json -targets="$work/targets-$1.json" -rate="$2/s" -duration="$RATE_DURATION" \
		| "$VEGETA" report -type=json)
	echo "$r" | jq -r --arg n "$1" '"\($n) \(.latencies["50th"]/1000|floor) \(.latencies["90th"]/1000|floor) \(.latencies["99th"]/1000|floor) \(.success) \(.throughput|floor)"' >>"$work/vegeta.txt"
	echo "  $1 @ $2/s: $(tail -1 "$work/vegeta.txt" | awk '{printf "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, success %s, answered %d/s", $2/1000, $3/1000, $4/1000, $5, $6}')"
}

# median_of NAME COLUMN FILE: the median of COLUMN over FILE's NAME rows.
median_of() {
	awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$3" | median
}

echo "== machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') RAM, $(uname -sr), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg), tree $(git describe --always --dirty 2>/dev/null || echo unknown)${SERVER_CPUS:+, servers on CPU $SERVER_CPUS}${LOAD_CPUS:+, load generators on CPU $LOAD_CPUS}"
echo "== warm-up"
BENCH_APP=$APP pin_set "${LOAD_CPUS:-}" wrk -t1 -c8 -d2s -s bench/updates.lua "$full/updates" >/dev/null
BENCH_APP=$APP pin_set "${LOAD_CPUS:-}" wrk -t1 -c8 -d2s -s bench/updates.lua "$const/updates" >/dev/null

echo "== throughput: wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
	echo " round $round"
	if [ "${PPROF:-}" = 1 ] && [ "$round" = 1 ]; then
		mkdir -p "$OUT"
		curl -sf -o "$OUT/cpu.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=5" &
		prof=$!
	fi
	run_wrk full "$full"
	if [ -n "${prof:-}" ]; then
		wait "$prof" && cp "$work/benchtarget" "$OUT/benchtarget" &&
			echo "  CPU profile: go tool pprof -top $OUT/benchtarget $OUT/cpu.pprof" || echo "  (profile failed)"
		prof=
	fi
	run_wrk const "$const"
done
full_rps=$(median_of full 2 "$work/wrk.txt")
const_rps=$(median_of const 2 "$work/wrk.txt")
ratio=$(awk -v a="$full_rps" -v b="$const_rps" 'BEGIN { printf "%.2f", a / b }')
rate=${RATE:-$(awk -v a="$full_rps" 'BEGIN { printf "%d", a / 2 }')}

echo "== latency at a fixed rate: vegeta -rate=$rate/s -duration=$RATE_DURATION, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
	echo " round $round"
	run_vegeta full "$rate"
	run_vegeta const "$rate"
done

# wrk with few connections: a closed loop with at most LOW_CONNS requests in
# flight, light enough for the load generator to keep up on a small
# machine; its latencies leave out queueing before the send (coordinated
# omission), so they are a lower bound of what vegeta measures.
echo "== latency with $LOW_CONNS connections: wrk -t1 -c$LOW_CONNS -d$DURATION, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
	echo " round $round"
	run_wrk_low full "$full"
	run_wrk_low const "$const"
done

p99_full=$(median_of full 4 "$work/vegeta.txt")
p99_low=$(median_of full 5 "$work/wrk-low.txt")
p99_const=$(median_of const 4 "$work/vegeta.txt")
echo "== medians"
ms() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'; }
printf '  %-6s %8s %8s %8s %14s %10s %12s\n' target 'req/s' 'p50 ms' 'p99 ms' "p99 ms @$rate/s" "c$LOW_CONNS req/s" "c$LOW_CONNS p99 ms"
for n in full const; do
	printf '  %-6s %8.0f %8s %8s %14s %10.0f %12s\n' "$n" "$(median_of $n 2 "$work/wrk.txt")" \
		"$(ms "$(median_of $n 3 "$work/wrk.txt")")" "$(ms "$(median_of $n 5 "$work/wrk.txt")")" \
		"$(ms "$(median_of $n 4 "$work/vegeta.txt")")" \
		"$(median_of $n 2 "$work/wrk-low.txt")" "$(ms "$(median_of $n 5 "$work/wrk-low.txt")")"
done
errors=$(awk '{ s += $7 + $8 } END { print s + 0 }' "$work/wrk.txt")
echo "  socket errors + non-2xx over all wrk runs: $errors"
echo "  full / const requests/s: $ratio"
status=0
if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.5) }'; then echo "  goal full >= 50% of const: met"; else echo "  goal full >= 50% of const: MISSED"; status=3; fi
if awk -v p="$p99_full" 'BEGIN { exit !(p < 10000) }'; then echo "  goal p99 < 10 ms at $rate/s (vegeta): met"; else echo "  goal p99 < 10 ms at $rate/s (vegeta): MISSED"; status=3; fi
echo "  full path p99 with $LOW_CONNS connections (wrk): $(ms "$p99_low") ms at $(median_of full 2 "$work/wrk-low.txt") req/s"
exit $status
