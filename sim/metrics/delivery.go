package metrics

import (
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/otasim/otasim/sim/results"
)

// Delivery kinds.
const (
	Zip = iota
	Manifest
	numDeliveries
)

// DeliveryNames are the kinds' names in summary.json.
func DeliveryNames() [numDeliveries]string { return [...]string{"zip", "manifest"} }

// moments accumulate a mean and its variance.
type moments struct{ n, sum, sumSq float64 }

func (m *moments) add(v float64) { m.n++; m.sum += v; m.sumSq += v * v }

func (m *moments) meanVar() (mean, variance float64) {
	if m.n == 0 {
		return 0, 0
	}
	mean = m.sum / m.n
	if m.n > 1 {
		variance = max(m.sumSq/m.n-mean*mean, 0) * m.n / (m.n - 1)
	}
	return mean, variance
}

type deliveryCell struct {
	downloads, failures, bytes, fullZip int64
	install                             *hdrhistogram.Histogram // ms
}

// Deliveries collects zip against per-file delivery: per kind and
// network profile, per cohort (for experiments), and per manifest file.
// Like the Recorder, it belongs to the engine goroutine.
type Deliveries struct {
	profiles int
	cells    []deliveryCell // [kind*profiles+profile]
	// per cohort: bytes of a completed download, install time (s)
	bytes, install []moments
	files          struct{ count, failures, reused int64 }
	fileLat        *hdrhistogram.Histogram // µs
}

// NewDeliveries returns an empty collector.
func NewDeliveries(cohorts, profiles int) *Deliveries {
	profiles = max(profiles, 1)
	d := &Deliveries{profiles: profiles, cells: make([]deliveryCell, numDeliveries*profiles),
		bytes: make([]moments, max(cohorts, 1)), install: make([]moments, max(cohorts, 1)), fileLat: newMicros()}
	for i := range d.cells {
		d.cells[i].install = newMillis()
	}
	return d
}

func (d *Deliveries) cell(kind, profile int) *deliveryCell {
	return &d.cells[kind*d.profiles+min(profile, d.profiles-1)]
}

// Download records one bundle download of a kind: the bytes received
// and the bundle's full zip size; ok when it ended with the bundle on the
// device.
func (d *Deliveries) Download(kind, cohort, profile int, bytes, fullZip int64, ok bool) {
	c := d.cell(kind, profile)
	c.downloads++
	c.bytes += bytes
	c.fullZip += fullZip
	if !ok {
		c.failures++
		return
	}
	d.bytes[cohort].add(float64(bytes))
}

// File records one fetched manifest file.
func (d *Deliveries) File(latencyMicros int64, ok bool) {
	d.files.count++
	if !ok {
		d.files.failures++
	}
	_ = d.fileLat.RecordValue(min(max(latencyMicros, 1), maxMicros))
}

// FileLost counts a manifest file the device's network failed before it
// reached the CDN.
func (d *Deliveries) FileLost() { d.files.count++; d.files.failures++ }

// Reused counts manifest files a device already held.
func (d *Deliveries) Reused(n int) { d.files.reused += int64(n) }

// Install records an install of a bundle delivered as kind.
func (d *Deliveries) Install(kind, cohort, profile int, ms int64) {
	_ = d.cell(kind, profile).install.RecordValue(min(max(ms, 1), maxMillis))
	d.install[cohort].add(float64(ms) / 1000)
}

// Summary is the summary's part of it.
func (d *Deliveries) Summary(profiles []string) results.Deliveries {
	out := results.Deliveries{ByDelivery: map[string]results.Delivery{},
		ManifestFiles: results.ManifestFiles{Count: d.files.count, Failures: d.files.failures, Reused: d.files.reused,
			LatencyMs: quantiles(d.fileLat, 1e-3)}}
	for k, name := range DeliveryNames() {
		dl := results.Delivery{ByProfile: map[string]results.DeliveryProfile{}}
		all := newMillis()
		for p := range d.profiles {
			c := d.cell(k, p)
			dl.Downloads += c.downloads
			dl.Failures += c.failures
			dl.Bytes += c.bytes
			dl.BytesFullZip += c.fullZip
			all.Merge(c.install)
			if c.downloads > 0 && p < len(profiles) {
				dl.ByProfile[profiles[p]] = results.DeliveryProfile{Downloads: c.downloads, Bytes: c.bytes,
					BytesFullZip: c.fullZip, InstallTimeS: quantiles(c.install, 1e-3)}
			}
		}
		dl.InstallTimeS = quantiles(all, 1e-3)
		out.BytesDownloaded += dl.Bytes
		out.BytesFullZip += dl.BytesFullZip
		if dl.Downloads > 0 {
			out.ByDelivery[name] = dl
		}
	}
	return out
}

// Compare is arm minus control of the bytes of a completed download and
// of the install time.
func (d *Deliveries) Compare(control, arm int) (bytes, install results.MeanDifference) {
	return welch(&d.bytes[control], &d.bytes[arm]), welch(&d.install[control], &d.install[arm])
}

// welch is the difference of two means with the 95% Welch interval
// (normal quantile: the samples are large).
func welch(c, a *moments) results.MeanDifference {
	mc, vc := c.meanVar()
	ma, va := a.meanVar()
	out := results.MeanDifference{Control: mc, Arm: ma, Diff: ma - mc, ControlN: int64(c.n), ArmN: int64(a.n)}
	if c.n > 1 && a.n > 1 {
		se := math.Sqrt(vc/c.n + va/a.n)
		out.Interval = [2]float64{out.Diff - 1.96*se, out.Diff + 1.96*se}
	}
	return out
}
