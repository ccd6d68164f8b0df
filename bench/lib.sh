# Shared helpers of the bench/*.sh scripts (sourced, not run; bench/README.md).
#
# Peers: vegeta is taken from .cache/bin, then PATH, then GOPATH/bin, and
# installed into .cache/bin (go install, pinned version) when missing; wrk
# comes from Debian (installed with apt-get when running as root).

VEGETA_VERSION=v12.13.0

die() { echo "bench: $*" >&2; exit 1; }

# find_vegeta: sets VEGETA, installing the pinned version when missing.
find_vegeta() {
	local gobin
	gobin="$(pwd)/.cache/bin"
	for v in "$gobin/vegeta" "$(command -v vegeta || true)" "$(go env GOPATH)/bin/vegeta"; do
		if [ -n "$v" ] && [ -x "$v" ] && go version -m "$v" 2>/dev/null | grep -q "vegeta/v12[[:space:]]*$VEGETA_VERSION"; then
			VEGETA=$v
			return
		fi
	done
	echo "== installing vegeta $VEGETA_VERSION into $gobin"
	mkdir -p "$gobin"
	GOBIN=$gobin go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" || die "go install vegeta failed"
	VEGETA=$gobin/vegeta
}

# find_wrk: sets WRK, installing Debian's wrk when root.
find_wrk() {
	if ! command -v wrk >/dev/null; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
			echo "== installing wrk (apt-get)"
			apt-get install -y wrk >/dev/null || die "apt-get install wrk failed"
		else
			die "wrk not found: install it with 'sudo apt-get install wrk'"
		fi
	fi
	WRK=$(command -v wrk)
}

# wait_up URL: poll a health endpoint, at most 10 s.
wait_up() {
	for _ in $(seq 100); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	die "$1 did not come up"
}

# median: the median of the numbers on stdin.
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# spread: "min–max" of the numbers on stdin.
spread() {
	sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s–%s", lo, hi }'
}

# pin CPU CMD...: run CMD on the given cores when taskset exists and the
# machine has them (PIN=0 turns pinning off). For a command started in the
# background use "$(pinned CPU)" CMD & instead, so that $! is the command.
pin() {
	local cpus=$1
	shift
	$(pinned "$cpus") "$@"
}

pinned() {
	if [ "${PIN:-1}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc --all)" -ge 2 ]; then
		echo "taskset -c $1"
	fi
}

# pin_set CPUS CMD...: run CMD on the cores CPUS (a taskset list) when
# CPUS is set, as is otherwise; pin_set_bg the same for a command started
# in the background (it execs, so that $! is the command itself).
pin_set() {
	local cpus=$1
	shift
	if [ -n "$cpus" ]; then taskset -c "$cpus" "$@"; else "$@"; fi
}

pin_set_bg() {
	local cpus=$1
	shift
	if [ -n "$cpus" ]; then exec taskset -c "$cpus" "$@"; else exec "$@"; fi
}

machine() {
	echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -h | awk '/^Mem:/ {print $2}') RAM, $(uname -sr), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
