#!/usr/bin/env bash
# Stats ingestion benchmark (docs/benchmarks.md, section "Server").
#
# Posts batches of 10 to 50 stats events (one device per batch, from a pool
# of DEVICES) to the demo reference server (`otasim serve --demo`) from
# CONNS connections for DURATION, ROUNDS rounds, each on a fresh database.
# After each round the server is stopped gracefully and
# bench/statsbench verifies in its SQLite file that every
# acknowledged event is stored. Prints events/s acknowledged per round and
# their median; exits 3 when an acknowledged event is missing or a batch
# failed.
#
# Tunables (environment): ROUNDS DURATION CONNS DEVICES MIN_BATCH MAX_BATCH
# PORT PPROF=1 (serve from `benchtarget -demo`, the same code plus pprof,
# and save a 5 s CPU profile of round 1 to $OUT), SERVER_CPUS and LOAD_CPUS
# (taskset CPU lists pinning the server and the load generator apart,
# e.g. SERVER_CPUS=0 LOAD_CPUS=1), OTASIM_BIN (a prebuilt otasim to
# measure instead of building the tree's, e.g. an older commit's).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-8}
DEVICES=${DEVICES:-10000}
MIN_BATCH=${MIN_BATCH:-10}
MAX_BATCH=${MAX_BATCH:-50}
PORT=${PORT:-18081}
PPROF_PORT=${PPROF_PORT:-18093}
OUT=${OUT:-${TMPDIR:-/tmp}/otasim-bench-stats}

. bench/lib.sh

work=$(mktemp -d)
server=
cleanup() {
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== build"
go build -o "$work/statsbench" ./bench/statsbench
if [ "${PPROF:-}" = 1 ]; then
	go build -o "$work/benchtarget" ./bench/benchtarget
elif [ -n "${OTASIM_BIN:-}" ]; then
	cp "$OTASIM_BIN" "$work/otasim"
else
	go build -o "$work/otasim" ./cmd/otasim
fi
url=http://127.0.0.1:$PORT

start_server() { # db
	if [ "${PPROF:-}" = 1 ]; then
		pin_set_bg "${SERVER_CPUS:-}" "$work/benchtarget" -demo -addr "127.0.0.1:$PORT" -pprof "127.0.0.1:$PPROF_PORT" -db "$1" >"$work/serve.log" 2>&1 &
	else
		pin_set_bg "${SERVER_CPUS:-}" "$work/otasim" serve --demo --addr "127.0.0.1:$PORT" --db "$1" --log-level warn >"$work/serve.log" 2>&1 &
	fi
	server=$!
	for _ in $(seq 300); do
		curl -sf -o /dev/null "$url/healthz" && return 0
		kill -0 "$server" 2>/dev/null || die "server exited: $(tail -5 "$work/serve.log")"
		sleep 0.1
	done
	die "server did not come up"
}

stop_server() { # graceful: the stats writer flushes and the database closes
	# TERM, not INT: a background job of a non-interactive shell starts
	# with SIGINT ignored.
	kill -TERM "$server"
	wait "$server" || die "server exited with status $?: $(tail -5 "$work/serve.log")"
	server=
}

echo "== machine: $(nproc) cores, $(uname -sr), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg), tree $(git describe --always --dirty 2>/dev/null || echo unknown)${SERVER_CPUS:+, server on CPU $SERVER_CPUS}${LOAD_CPUS:+, load on CPU $LOAD_CPUS}"
echo "== stats: $ROUNDS rounds of $DURATION, $CONNS connections, batches of $MIN_BATCH-$MAX_BATCH events, $DEVICES devices"
status=0
: >"$work/rates.txt"
for round in $(seq "$ROUNDS"); do
	db="$work/round$round.db"
	start_server "$db"
	if [ "${PPROF:-}" = 1 ] && [ "$round" = 1 ]; then
		mkdir -p "$OUT"
		curl -sf -o "$OUT/cpu.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=5" &
		prof=$!
	fi
	line=$(pin_set "${LOAD_CPUS:-}" "$work/statsbench" load -url "$url" -duration "$DURATION" -conns "$CONNS" \
		-devices "$DEVICES" -min "$MIN_BATCH" -max "$MAX_BATCH" -acked "$work/acked.txt")
	if [ -n "${prof:-}" ]; then
		wait "$prof" && cp "$work/benchtarget" "$OUT/benchtarget" &&
			echo "  CPU profile: go tool pprof -top $OUT/benchtarget $OUT/cpu.pprof" || echo "  (profile failed)"
		prof=
	fi
	stop_server
	check=$("$work/statsbench" verify -db "$db" -acked "$work/acked.txt") || status=3
	echo " round $round: $line"
	echo "          $check"
	echo "$line" | sed -E 's/.*acked_per_s=([0-9.]+).*/\1/' >>"$work/rates.txt"
	failed=$(echo "$line" | sed -E 's/.*failed_batches=([0-9]+).*/\1/')
	[ "$failed" = 0 ] || status=3
	rm -f "$db" "$db"-wal "$db"-shm
	rm -rf "$db.bundles"
done
median=$(median <"$work/rates.txt")
echo "== median: $median events/s acknowledged and stored (per round: $(tr '\n' ' ' <"$work/rates.txt"))"
if [ "$status" = 0 ]; then echo "  nothing lost: every acknowledged event is stored, no batch failed"; else echo "  FAILED: events lost or batches refused (see above)"; fi
exit $status
