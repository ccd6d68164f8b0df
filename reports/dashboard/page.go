package dashboard

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
)

const defaultAssetsHost = "https://go-echarts.github.io/go-echarts-assets/assets/"

var pageTemplate = template.Must(template.New("dashboard").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>otasim live · {{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:1200px;margin:0 auto;padding:12px 20px 40px}
h1{font-size:1.35em;margin:.4em 0}
.stats{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 4px}
.stat{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 12px;min-width:120px}
.stat b{display:block;font-size:1.3em;font-variant-numeric:tabular-nums}
.stat span{color:#5b6272;font-size:.85em}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.panel{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px}
.panel h2{font-size:1em;margin:2px 6px}
.chart{height:300px}
#status{font-weight:600}
.warn{background:#fff4e5;border:1px solid #f0b35a;border-radius:4px;padding:6px 10px}
.alert{border-radius:4px;padding:8px 12px;margin:8px 0;font-weight:600}
.alert.bad{background:#fdecea;border:1px solid #e06666;color:#8a1c1c}
.alert.good{background:#e8f5e9;border:1px solid #66bb6a;color:#1b5e20}
.alert.unsure{background:#fff4e5;border:1px solid #f0b35a;color:#6d4c00}
.alert ul{margin:4px 0 0;font-weight:400}
</style>
{{.Script}}
</head>
<body data-frames="0">
<main>
<h1>otasim live · {{.Title}} <span id="status">connecting…</span></h1>
{{if .Warning}}<div class="warn">⚠ {{.Warning}}</div>{{end}}
<div id="lost" class="alert bad" hidden></div>
<div id="verdict" class="alert" hidden><span id="verdict-text"></span><ul id="verdict-reasons"></ul></div>
<div class="stats">
<div class="stat"><b id="vclock">—</b><span>virtual time</span></div>
<div class="stat"><b id="progress">—</b><span>of the run</span></div>
<div class="stat"><b id="wall">—</b><span>real time</span></div>
<div class="stat"><b id="active">—</b><span>active devices</span></div>
<div class="stat"><b id="adoption">—</b><span id="adoption-label">adoption</span></div>
<div class="stat"><b id="rps">—</b><span>requests/s</span></div>
<div class="stat"><b id="failures">—</b><span>failures</span></div>
<div class="stat"><b id="inflight">—</b><span>in flight</span></div>
</div>
<div class="grid">
<div class="panel" data-chart="live_adoption"><h2>Adoption</h2><div class="chart" id="live_adoption"></div></div>
<div class="panel" data-chart="live_rps"><h2>Requests per second</h2><div class="chart" id="live_rps"></div></div>
<div class="panel" data-chart="live_failures"><h2>Failures per second</h2><div class="chart" id="live_failures"></div></div>
<div class="panel" data-chart="live_latency"><h2>Latency and generator lag (ms)</h2><div class="chart" id="live_latency"></div></div>
</div>
</main>
<script>
"use strict";
(function () {
  const frames = [];
  let status = "connecting…";
  const mk = (id, yName, yMax) => {
    const c = echarts.init(document.getElementById(id), null, {renderer: "canvas"});
    c.setOption({animation: false, tooltip: {trigger: "axis"}, legend: {top: 0, type: "scroll"},
      grid: {left: 60, right: 24, top: 36, bottom: 40},
      xAxis: {type: "value", name: "virtual hours", nameLocation: "middle", nameGap: 26, min: 0},
      yAxis: {type: "value", name: yName, max: yMax}, series: []});
    return c;
  };
  const charts = {
    adoption: mk("live_adoption", "share", 1),
    rps: mk("live_rps", "requests/s"),
    failures: mk("live_failures", "failures/s"),
    latency: mk("live_latency", "ms"),
  };
  const hours = f => f.progress.virtual_s / 3600;
  const line = (name, data) => ({name: name, type: "line", showSymbol: false, data: data});
  const hms = s => {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, x = s % 60;
    return h + ":" + String(m).padStart(2, "0") + ":" + String(x).padStart(2, "0");
  };
  const text = (id, v) => { document.getElementById(id).textContent = v; };
  function draw() {
    document.body.dataset.frames = String(frames.length);
    text("status", status);
    if (frames.length === 0) { return; }
    const last = frames[frames.length - 1].progress;
    const lost = document.getElementById("lost");
    lost.hidden = last.target_lost_at_s == null;
    if (!lost.hidden) {
      lost.textContent = "TARGET LOST at " + hms(last.target_lost_at_s) + " virtual: every request to the target fails";
    }
    const verdict = document.getElementById("verdict");
    verdict.hidden = !last.verdict;
    if (last.verdict) {
      verdict.className = "alert " + ({PASS: "good", FAIL: "bad"}[last.verdict] || "unsure");
      text("verdict-text", "VERDICT: " + last.verdict);
      const ul = document.getElementById("verdict-reasons");
      ul.replaceChildren(...(last.verdict_reasons || []).map(r => {
        const li = document.createElement("li");
        li.textContent = r;
        return li;
      }));
    }
    text("vclock", hms(last.virtual_s));
    text("progress", last.duration_s > 0 ? (100 * last.virtual_s / last.duration_s).toFixed(1) + "%" : "—");
    text("wall", hms(last.wall_s));
    text("active", last.active + " / " + last.devices);
    text("adoption", (100 * last.adoption).toFixed(1) + "%");
    text("adoption-label", "on " + (last.bundle || "the judged bundle"));
    text("rps", last.requests_per_s.toFixed(0));
    text("failures", String(last.failures));
    text("inflight", String(last.in_flight));
    const adoption = [line("fleet", frames.map(f => [hours(f), f.progress.adoption]))];
    const segs = last.adoption_by_segment || {};
    Object.keys(segs).sort().forEach(s => adoption.push(line(s, frames.map(f => [hours(f), (f.progress.adoption_by_segment || {})[s]]))));
    charts.adoption.setOption({series: adoption});
    charts.rps.setOption({series: [line("requests/s", frames.map(f => [hours(f), f.progress.requests_per_s]))]});
    const fails = [];
    for (let i = 1; i < frames.length; i++) {
      const a = frames[i - 1].progress, b = frames[i].progress, dt = b.wall_s - a.wall_s;
      fails.push([hours(frames[i]), dt > 0 ? Math.max(0, b.failures - a.failures) / dt : 0]);
    }
    charts.failures.setOption({series: [line("failures/s", fails)]});
    const lat = [line("generator lag p99", frames.map(f => [hours(f), f.progress.lag_p99_ms]))];
    const eps = last.latency_ms || {};
    Object.keys(eps).sort().forEach(ep => ["p50", "p95", "p99"].forEach(q => {
      lat.push(line("/" + ep + " " + q, frames.map(f => [hours(f), ((f.progress.latency_ms || {})[ep] || {})[q]])));
    }));
    charts.latency.setOption({series: lat});
  }
  let pending = false;
  const schedule = () => { if (!pending) { pending = true; setTimeout(() => { pending = false; draw(); }, 0); } };
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  ws.onopen = () => { status = "live"; schedule(); };
  ws.onmessage = e => {
    const m = JSON.parse(e.data);
    if (m.type === "history") { frames.splice(0, frames.length, ...(m.frames || [])); }
    else if (m.frame) { frames.push(m.frame); if (frames.length > {{.History}}) { frames.shift(); } }
    if (m.type === "done" || (m.frames || []).some(f => f.done)) { status = "finished"; }
    schedule();
  };
  ws.onclose = () => { if (status !== "finished") { status = "disconnected"; } schedule(); };
  window.addEventListener("resize", () => Object.values(charts).forEach(c => c.resize()));
  draw();
})();
</script>
</body>
</html>
`))

func renderPage(cfg Config) ([]byte, error) {
	var script template.HTML
	warning := ""
	if len(cfg.ECharts) > 0 {
		js := strings.ReplaceAll(string(cfg.ECharts), "</script", `<\/script`)
		script = template.HTML("<script>" + js + "</script>")
	} else {
		host := cfg.AssetsHost
		if host == "" {
			host = defaultAssetsHost
		}
		script = template.HTML(`<script src="` + template.HTMLEscapeString(host+"echarts.min.js") + `"></script>`)
		warning = "ECharts is loaded from " + host + ": the charts need the network (run `just echarts` or pass --echarts-js)."
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, map[string]any{"Title": cfg.Title, "Script": script, "Warning": warning, "History": cfg.History}); err != nil {
		return nil, fmt.Errorf("dashboard: page: %w", err)
	}
	return buf.Bytes(), nil
}
