// Package html renders a run as one self-contained HTML file: a header
// (scenario, seed, devices, durations, server, bundles, harness warnings),
// the targets table, and charts drawn by ECharts from options built with
// go-echarts, one file per chart family.
//
// Rendering is deterministic: every chart has a stable id, maps are walked
// in sorted order and nothing of "now" is written, so the same run renders
// to the same bytes. Long series are downsampled (largest triangle, three
// buckets) so a report stays small however long or large the run. The
// ECharts build is inlined when the caller hands it over (see
// LocateECharts), so the report draws offline; otherwise the page loads it
// from go-echarts' asset host and says so in its header.
package html
