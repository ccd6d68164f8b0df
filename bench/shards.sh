#!/usr/bin/env bash
# The cost of sharding: the same scenario, seed and fresh reference server
# run by one process, then by SHARDS shards with a collector, ROUNDS times.
# Prints each round's CPU (user+sys of every otasim process of the run,
# the server's left out: it serves the same fleet both ways), their ratio,
# the requests, and whether the merged population equals the single
# process's, segment by segment (it must, exactly).
#
#   bench/shards.sh [SCENARIO] [SHARDS] [ROUNDS]      (RUN_FLAGS="--devices 2000" ...)
#
# SHARD_SCENARIO, when set, is the scenario file the shards and the
# collector run instead (e.g. the same fleet with run.workers and
# run.connections divided by the shard count).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

scenario=${1:-ci-smoke}
shards=${2:-4}
rounds=${3:-3}
token=bench-shards-admin-token
bin=$(pwd)/.cache/bin/otasim-bench
mkdir -p .cache/bin
go build -o "$bin" ./cmd/otasim
work=$(mktemp -d)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# cpu FILE: user+sys seconds /usr/bin/time wrote.
cpu() { tail -n 1 "$1" | awk '{ print $1 + $2 }'; }

start_server() {
	local port=$1
	"$bin" serve --addr "127.0.0.1:$port" --db "$work/server-$port.db" --admin-token "$token" --log-level error >/dev/null 2>&1 &
	server_pid=$!
	wait_up "http://127.0.0.1:$port/healthz"
}

stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }

population() { jq -c '[.devices, [.cohorts[] | [.name, .devices, .joining]]]' "$1/summary.json"; }

printf "round  single CPU s  %d shards CPU s  ratio  requests single  merged  population equal\n" "$shards"
ratios=()
for r in $(seq "$rounds"); do
	port=$(free_port)
	start_server "$port"
	target=http://127.0.0.1:$port
	/usr/bin/time -f "%U %S" -o "$work/single.time" "$bin" run "$scenario" --target "$target" --admin-token "$token" \
		--out "$work/single-$r" --no-history --quiet ${RUN_FLAGS:-} >/dev/null 2>&1 || true
	stop_server

	port=$(free_port)
	start_server "$port"
	target=http://127.0.0.1:$port
	cport=$(free_port)
	sharded_scenario=${SHARD_SCENARIO:-$scenario}
	/usr/bin/time -f "%U %S" -o "$work/collector.time" "$bin" collect "$sharded_scenario" --shards "$shards" --listen "127.0.0.1:$cport" \
		--target "$target" --admin-token "$token" --out "$work/merged-$r" --no-history --quiet ${RUN_FLAGS:-} >/dev/null 2>&1 &
	cpid=$!
	pids=()
	for i in $(seq 0 $((shards - 1))); do
		/usr/bin/time -f "%U %S" -o "$work/shard-$i.time" "$bin" run "$sharded_scenario" --target "$target" --admin-token "$token" \
			--shard "$i/$shards" --collector "http://127.0.0.1:$cport" --out "$work/shard-$r-$i" --no-history --quiet ${RUN_FLAGS:-} >/dev/null 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	wait "$cpid" || true
	stop_server

	single=$(cpu "$work/single.time")
	sharded=$(for f in "$work/collector.time" "$work"/shard-*.time; do tail -n 1 "$f"; done | awk '{ s += $1 + $2 } END { print s }')
	ratio=$(awk -v a="$sharded" -v b="$single" 'BEGIN { printf "%.3f", a / b }')
	ratios+=("$ratio")
	equal=no
	[ "$(population "$work/single-$r")" = "$(population "$work/merged-$r")" ] && equal=yes
	printf "%5d  %12.2f  %14.2f  %5s  %15d  %6d  %s\n" "$r" "$single" "$sharded" "$ratio" \
		"$(jq .harness.requests "$work/single-$r/summary.json")" "$(jq .harness.requests "$work/merged-$r/summary.json")" "$equal"
done
echo "median ratio: $(printf "%s\n" "${ratios[@]}" | median) (spread $(printf "%s\n" "${ratios[@]}" | spread))"
