#!/usr/bin/env bash
# Overload benchmark (docs/benchmarks.md, section "Overload").
#
# The demo reference server (`otasim serve --demo`, core 0) and CONNS
# connections of bench/overload (core 1), each a device that checks
# /updates and posts /stats batches in turn with a pause of THINK on
# average, for DURATION: far more stats than the writer stores, so the
# server must shed. Two phases, each on a fresh database:
#
#  1. plugin: the devices honour Retry-After, as capacitor-updater does;
#  2. hostile: they ignore it and come back at once.
#
# In both, a device posts a batch again after a 429, a 5xx or no answer,
# and acts as if it lost LOSE of the replies it got, so the server sees
# retries of stored batches. After each phase the server is stopped
# gracefully and every acknowledged event is looked up in its SQLite file.
# Goals: the server's RSS stays under 512 MB, the p99 of accepted /updates
# under 50 ms while shedding (phase 1; phase 2 is reported), and no
# acknowledged event is lost or stored twice (both). Exit status 3 when a
# goal is missed.
#
# Tunables: CONNS DURATION THINK BATCH LOSE DEVICES PORT PIN=0 OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CONNS=${CONNS:-6000}
DURATION=${DURATION:-30s}
THINK=${THINK:-500ms}
BATCH=${BATCH:-20}
LOSE=${LOSE:-0.02}
DEVICES=${DEVICES:-100000}
PORT=${PORT:-18096}
OUT=${OUT:-.cache/bench-overload}

need=$((2 * CONNS + 256))
if [ "$(ulimit -n)" -lt "$need" ]; then
	ulimit -n "$need" 2>/dev/null || die "ulimit -n is $(ulimit -n); $CONNS connections need $need descriptors"
fi

work=$(mktemp -d)
server=
cleanup() {
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$OUT"

echo "== build"
go build -o "$work/otasim" ./cmd/otasim
go build -o "$work/overload" ./bench/overload
url=http://127.0.0.1:$PORT

start_server() { # db
	$(pinned 0) "$work/otasim" serve --demo --addr "127.0.0.1:$PORT" --db "$1" --log-level warn >"$work/serve.log" 2>&1 &
	server=$!
	wait_up "$url/healthz"
}

stop_server() { # graceful: in-flight requests drain, the writer flushes
	kill -TERM "$server"
	wait "$server" || die "server exited with $?: $(tail -5 "$work/serve.log")"
	server=
}

machine
echo "server: otasim serve --demo (core 0), default bounds; load: bench/overload (core 1)"
echo "load: $CONNS connections for $DURATION, think $THINK, batches of 1-$BATCH events, $DEVICES devices, lose $LOSE"
missed=0
for phase in plugin hostile; do
	echo "== $phase"
	db=$work/$phase.db
	start_server "$db"
	extra=()
	[ "$phase" = hostile ] && extra=(-hostile)
	pin 1 "$work/overload" load -url "$url" -conns "$CONNS" -duration "$DURATION" -think "$THINK" -batch "$BATCH" \
		-lose "$LOSE" -devices "$DEVICES" -pid "$server" -acked "$work/acked.txt" "${extra[@]}" | tee "$OUT/$phase.txt"
	stop_server
	if ! "$work/overload" verify -db "$db" -acked "$work/acked.txt" | tee -a "$OUT/$phase.txt"; then
		echo "GOAL MISSED ($phase): acknowledged events lost or stored twice"
		missed=1
	fi
	line=$(grep '^RESULT' "$OUT/$phase.txt")
	case $line in *rss_goal_met=false*) echo "GOAL MISSED ($phase): peak RSS over 512 MB"; missed=1 ;; esac
	if [ "$phase" = plugin ]; then
		case $line in *p99_goal_met=false*) echo "GOAL MISSED ($phase): accepted /updates p99 over 50 ms"; missed=1 ;; esac
	fi
	rm -f "$db" "$db"-wal "$db"-shm
	rm -rf "$db".bundles
done
[ "$missed" = 0 ] && echo "all goals met" || exit 3
