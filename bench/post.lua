-- wrk script of the load-generation and accuracy benchmarks: POST /updates
-- with the bodies of BENCH_BODIES (one JSON object a line, as otasim sends
-- them), in turn. The requests are formatted once, in init, so that the
-- per-request cost is wrk's own. done() prints one RESULT line (µs).
local requests = {}
local count = 0
local i = 0

function init(args)
  local path = os.getenv("BENCH_BODIES") or "bodies.jsonl"
  for line in io.lines(path) do
    count = count + 1
    requests[count] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, line)
  end
  if count == 0 then
    error("no bodies in " .. path)
  end
end

function request()
  i = i % count + 1
  return requests[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p99_us=%d max_us=%d requests=%d socket_errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status))
end
