# otasim tasks. `just` comes from the npm package rust-just:
#   npm install -g rust-just

version := `git describe --tags --always --dirty 2>/dev/null || echo devel`
ldflags := "-X main.version=" + version

# list the recipes
default:
    @just --list

# build bin/otasim with the version injected
build:
    go build -ldflags "{{ldflags}}" -o bin/otasim ./cmd/otasim

# run the test suite (the README's test command)
test:
    go test ./...

# check formatting and vet
lint:
    @test -z "$(gofmt -l $(git ls-files '*.go'))" || (gofmt -l $(git ls-files '*.go'); exit 1)
    go vet ./...

# serve the demo reference server on 127.0.0.1:8080
serve *ARGS:
    go run -ldflags "{{ldflags}}" ./cmd/otasim serve --demo {{ARGS}}

# install the ECharts build (5.4.3, as go-echarts expects) into .cache/ for offline reports
echarts:
    test -f .cache/echarts/node_modules/echarts/dist/echarts.min.js || npm install --prefix .cache/echarts echarts@5.4.3

# redraw docs/grafana/otasim.png: a real ci-smoke run pushed to a real Prometheus, the dashboard's queries drawn by its graph page
grafana-screenshot:
    go test ./reports/remotewrite -run 'TestRealPrometheus$' -count=1 -dashboard-screenshot="$PWD/docs/grafana/otasim.png"

# what CI runs (.ci/run)
ci:
    bash .ci/run

# server benchmark: POST /updates of the demo server vs a constant handler (wrk, vegeta)
bench-server:
    bash bench/server.sh

# stats ingestion benchmark: batches of events to the demo server, events/s, every acknowledged event checked in SQLite
bench-stats:
    bash bench/stats.sh

# load-generation benchmark: otasim's max profile vs vegeta and wrk, same requests, same server (bench/loadgen.sh)
bench-loadgen:
    bash bench/loadgen.sh

# accuracy benchmark: a fixed 50 ms delay and a 1 s stall, otasim vs vegeta and wrk (bench/accuracy.sh)
bench-accuracy:
    bash bench/accuracy.sh

# overload benchmark: 6,000 connections of /updates and /stats, shedding, RSS, accepted p99, every acknowledged event stored once (bench/overload.sh)
bench-overload:
    bash bench/overload.sh

# fleet-scale benchmark: a million devices through 24 virtual hours in one process (bench/fleet.sh; RUNS=3)
bench-fleet:
    bash bench/fleet.sh

# sharding overhead: 4 shards and a collector against one process, same seed and server, CPU and population (bench/shards.sh)
bench-shards:
    RUN_FLAGS="--duration 6h" bash bench/shards.sh quickstart 4 3

# calibrate the baseline's tolerances: ci-smoke healthy and 20 ms slower, pairs judged (docs/reports.md, Calibration)
calibrate-tolerances:
    bash bench/calibrate-tolerances.sh

# every benchmark in sequence; a missed goal does not stop the next one
bench:
    -just bench-server
    -just bench-stats
    -just bench-loadgen
    -just bench-accuracy
    -just bench-overload
    -just bench-fleet
    -just bench-shards
