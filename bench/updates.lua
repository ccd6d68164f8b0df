-- wrk script of the server benchmark (bench/server.sh): POST
-- /updates with an info object on version_name 1.0.0 of the demo app.
-- Device ids cycle over a pool so that the server sees a fleet rather than
-- one device. done() prints one machine-readable RESULT line.
local app = os.getenv("BENCH_APP") or "com.example.app"
local pool = tonumber(os.getenv("BENCH_DEVICES") or "10000")
local body = '{"platform":"android","device_id":"%s","app_id":"%s",' ..
  '"version_build":"1.0.0","version_code":"1","version_os":"14",' ..
  '"version_name":"1.0.0","plugin_version":"8.51.14",' ..
  '"is_emulator":false,"is_prod":true}'

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local counter = 0

function request()
  counter = counter + 1
  local id = string.format("00000000-0000-4000-8000-%012d", counter % pool)
  return wrk.format(nil, nil, nil, string.format(body, id, app))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p90_us=%d p99_us=%d requests=%d socket_errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status))
end
