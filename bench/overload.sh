#!/usr/bin/env bash
# Overload benchmark (docs/benchmarks.md, section "Overload").
#
# The demo reference server (`otasim serve --demo`, core 0) and CONNS
# connections of bench/overload (core 1), each a device that checks
# /updates and posts /stats batches in turn with a pause of THINK on
# average, for DURATION: far more stats than the writer stores, so the
# server must shed. ROUNDS rounds of two phases, then a third:
#
#  1. plugin: the devices honour Retry-After, as capacitor-updater does;
#  2. yardstick: the same devices against bench/benchtarget
#     (core 0), which answers /updates with the demo's reply and sheds the
#     share of /stats the server shed in phase 1, doing no work: what the
#     machine and the generator alone cost at that load, so that the
#     server's p99 reads as a ratio to it (the two alternate, round after
#     round, so that drifts of a shared machine hit both);
#  3. hostile, once: the devices ignore Retry-After and come back at once.
#
# In 1 and 3, a device posts a batch again after a 429, a 5xx or no
# answer, and acts as if it lost LOSE of the replies it got, so the server
# sees retries of stored batches. After each of these phases the server,
# on a fresh database each time, is stopped gracefully and every
# acknowledged event is looked up in its SQLite file.
# Goals: the server's RSS stays under 512 MB (every phase), the median
# over the rounds of the p99 of accepted /updates under 50 ms while
# shedding (phase 1, requests sent after the 5 s warm-up in which the
# crowd connects; the whole run's is reported beside the yardstick's, and
# phase 3's), and no acknowledged event lost or stored twice (1 and 3).
# Exit status 3 when a goal is missed; 4 when the p99 is over the goal and
# so is the yardstick's, so that the machine cannot tell it.
#
# Tunables: ROUNDS CONNS DURATION THINK BATCH LOSE DEVICES PORT PIN=0 OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-6000}
DURATION=${DURATION:-20s}
THINK=${THINK:-500ms}
BATCH=${BATCH:-20}
LOSE=${LOSE:-0.02}
DEVICES=${DEVICES:-100000}
PORT=${PORT:-18096}
OUT=${OUT:-/tmp/otasim-bench-overload}

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
go build -o "$work/benchtarget" ./bench/benchtarget
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
load() { # phase extra-flags...
	local phase=$1
	shift
	pin 1 "$work/overload" load -url "$url" -conns "$CONNS" -duration "$DURATION" -think "$THINK" -batch "$BATCH" \
		-lose "$LOSE" -devices "$DEVICES" -pid "$server" -acked "$work/acked.txt" "$@" | tee "$OUT/$phase.txt"
}
field() { # key files...: a value of each file's RESULT line
	local k=$1
	shift
	cat "$@" | grep '^RESULT' | tr ' ' '\n' | sed -n "s/^$k=//p"
}

missed=0
# served phase [-hostile]: the reference server under load, then its
# database checked.
served() {
	local phase=$1 db=$work/$1.db
	shift
	start_server "$db"
	load "$phase" "$@"
	stop_server
	if ! "$work/overload" verify -db "$db" -acked "$work/acked.txt" | tee -a "$OUT/$phase.txt"; then
		echo "GOAL MISSED ($phase): acknowledged events lost or stored twice"
		missed=1
	fi
	case $(grep '^RESULT' "$OUT/$phase.txt") in *rss_goal_met=false*) echo "GOAL MISSED ($phase): peak RSS over 512 MB"; missed=1 ;; esac
	rm -f "$db" "$db"-wal "$db"-shm
	rm -rf "$db".bundles
}

start_server "$work/reply.db"
curl -sf -H 'Content-Type: application/json' -o "$work/reply.json" --data \
	'{"app_id":"com.example.app","device_id":"00000000-0000-4000-8000-000000000000","platform":"android","version_name":"builtin","version_build":"1.0.0","version_code":"1","version_os":"14","plugin_version":"8.51.14","is_emulator":false,"is_prod":true}' \
	"$url/updates" || die "the demo's /updates reply could not be read"
stop_server
for r in $(seq "$ROUNDS"); do
	echo "== round $r: plugin"
	served "plugin-$r"
	echo "== round $r: yardstick"
	shed=$(awk -v a="$(field stats_accepted "$OUT/plugin-$r.txt")" -v s="$(field stats_shed "$OUT/plugin-$r.txt")" \
		'BEGIN { printf "%.3f", (a + s) ? s / (a + s) : 0 }')
	echo "benchtarget: /updates answered with the demo's reply, a share $shed of /stats shed"
	$(pinned 0) "$work/benchtarget" -addr "127.0.0.1:$PORT" -body "$work/reply.json" -stats-shed "$shed" >"$work/serve.log" 2>&1 &
	server=$!
	wait_up "$url/healthz"
	load "yardstick-$r"
	stop_server
done
echo "== hostile"
served hostile -hostile

echo "== summary: medians of $ROUNDS rounds (spread), accepted /updates in ms"
for k in updates_p99_ms updates_steady_p99_ms; do
	s=$(field "$k" "$OUT"/plugin-*.txt | median)
	y=$(field "$k" "$OUT"/yardstick-*.txt | median)
	echo "$k: server $s ($(field "$k" "$OUT"/plugin-*.txt | spread)), yardstick $y ($(field "$k" "$OUT"/yardstick-*.txt | spread)), ratio $(awk -v s="$s" -v y="$y" 'BEGIN { printf "%.2f", (y > 0) ? s / y : 0 }')"
done
echo "peak RSS (MB): server $(field peak_rss_mb "$OUT"/plugin-*.txt "$OUT"/hostile.txt | sort -n | tail -1), yardstick $(field peak_rss_mb "$OUT"/yardstick-*.txt | sort -n | tail -1)"
p99=$(field updates_steady_p99_ms "$OUT"/plugin-*.txt | median)
yard=$(field updates_steady_p99_ms "$OUT"/yardstick-*.txt | median)
over() { awk -v p="$1" 'BEGIN { exit !(p >= 50) }'; }
inconclusive=0
if over "$p99" && over "$yard"; then
	echo "INCONCLUSIVE: the median p99 of accepted /updates after the warm-up is $p99 ms, and the yardstick's, which does no work, $yard ms: this machine cannot show 50 ms now"
	inconclusive=1
elif over "$p99"; then
	echo "GOAL MISSED: the median p99 of accepted /updates after the warm-up is $p99 ms, over 50 ms (the yardstick's $yard ms)"
	missed=1
fi
if [ "$missed" = 1 ]; then exit 3; fi
if [ "$inconclusive" = 1 ]; then exit 4; fi
echo "all goals met"
