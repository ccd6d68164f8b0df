#!/usr/bin/env bash
# Calibrates the baseline's default tolerances (docs/reports.md,
# "Calibration"): runs ci-smoke HEALTHY times against the in-process
# reference server, then SLOW times with the reference server's API
# latency fault at +20 ms from the start, and prints each metric's spread
# and how many pairs regress (bench/tolerances): healthy against healthy
# should regress in at most 1 pair in 20, slowed against healthy in every
# pair.
#
# Tunables (environment): HEALTHY (default 12), SLOW (default 20),
# OUT (default ${TMPDIR:-/tmp}/otasim-calibrate).
set -euo pipefail
cd "$(dirname "$0")/.."

HEALTHY=${HEALTHY:-12}
SLOW=${SLOW:-20}
OUT=${OUT:-${TMPDIR:-/tmp}/otasim-calibrate}

rm -rf "$OUT" && mkdir -p "$OUT"
go build -o "$OUT/otasim" ./cmd/otasim
"$OUT/otasim" scenarios show ci-smoke >"$OUT/ci-smoke.yaml"
# The same scenario (the same name), its server 20 ms slower on every API
# request from the first instant.
awk '{ print } /^timeline:/ { print "  - at: 0s"; print "    api_faults: {latency: 20ms}" }' "$OUT/ci-smoke.yaml" >"$OUT/ci-smoke-slow.yaml"
grep -q "api_faults" "$OUT/ci-smoke-slow.yaml" || { echo "calibrate: no timeline in ci-smoke" >&2; exit 1; }

run() { # folder scenario
	# A run's verdict (0, 3 or 4) is measured, not judged here; 1 and 2 stop.
	"$OUT/otasim" run "$2" --out "$1" --quiet --no-history >"$1.log" 2>&1 || [ $? -ge 3 ] || { cat "$1.log"; exit 1; }
	echo "$(basename "$1"): $(jq -r '"\(.verdict) api mean \(.api.updates.mean_ms) ms, lag p99 \(.harness.schedule_lag_p99_ms) ms"' "$1/summary.json")"
}
for i in $(seq -w 1 "$HEALTHY"); do run "$OUT/healthy-$i" "$OUT/ci-smoke.yaml"; done
for i in $(seq -w 1 "$SLOW"); do run "$OUT/slow-$i" "$OUT/ci-smoke-slow.yaml"; done
echo
go run ./bench/tolerances -healthy "$OUT/healthy-*[0-9]" -slow "$OUT/slow-*[0-9]"
