package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/otasim/otasim/sim/results"
)

// A per-file bundle on the reference server: every device downloads
// exactly the changed files (10 of 50) and takes the others from its
// builtin; the zip twin costs the full zip.
func TestRunDeltaDownloadsOnlyChangedFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	dir := t.TempDir()
	sc := `name: delta-test
run: {duration: 3h, speed: 3600, seed: 5}
app:
  channels:
    - {name: production, public: true}
    - {name: zip, allow_self_set: true}
    - {name: delta, allow_self_set: true}
network_profiles:
  lan: {bandwidth: 100Mbps, rtt: 5ms}
bundles:
  - {version: 1.1.0, size: 200KB, files: 50, changed_files: 0.2}
  - {version: 1.1.1, same_files_as: 1.1.0, delivery: manifest}
fleet:
  devices: 60
  segments:
    - name: users
      share: 1
      sessions_per_day: 24
      networks: {lan: 1}
      update_mode: always
      arms:
        - {name: zip, share: 0.5, channel: zip, self_assign: zip}
        - {name: manifest, share: 0.5, channel: delta, self_assign: delta}
timeline:
  - {at: 10m, release: {channel: zip, bundle: 1.1.0}}
  - {at: 10m, release: {channel: delta, bundle: 1.1.1}}
targets: {adoption_bundle: 1.1.0}
`
	path := filepath.Join(dir, "delta.yaml")
	if err := os.WriteFile(path, []byte(sc), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &errOut
	runDir := filepath.Join(dir, "run")
	_ = app.Run([]string{"otasim", "run", "--out", runDir, "--no-history", path})
	raw, err := os.ReadFile(filepath.Join(runDir, "summary.json"))
	if err != nil {
		t.Fatalf("%v\n%s%s", err, &out, &errOut)
	}
	var sum results.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	m := sum.CDN.ByDelivery["manifest"]
	z := sum.CDN.ByDelivery["zip"]
	if m.Downloads == 0 || z.Downloads == 0 || m.Failures != 0 || sum.CDN.ManifestFiles.Failures != 0 {
		t.Fatalf("manifest %+v zip %+v files %+v", m, z, sum.CDN.ManifestFiles)
	}
	if got, want := sum.CDN.ManifestFiles.Count, m.Downloads*10; got != want {
		t.Errorf("%d files fetched for %d per-file downloads, want 10 each", got, m.Downloads)
	}
	if got, want := sum.CDN.ManifestFiles.Reused, m.Downloads*40; got != want {
		t.Errorf("%d files reused for %d per-file downloads, want 40 each (the builtin's)", got, m.Downloads)
	}
	if m.Bytes >= m.BytesFullZip/2 || z.Bytes < z.BytesFullZip*9/10 || m.BytesFullZip != m.Downloads*z.BytesFullZip/z.Downloads {
		t.Errorf("bytes: manifest %d of %d full, zip %d of %d", m.Bytes, m.BytesFullZip, z.Bytes, z.BytesFullZip)
	}
	if len(sum.Experiments) != 1 || sum.Experiments[0].Arms[0].BytesPerDownload.Diff >= 0 {
		t.Errorf("experiments %+v", sum.Experiments)
	}
}
