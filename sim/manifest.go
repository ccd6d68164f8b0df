package sim

import (
	"context"
	"strings"
	"time"

	"github.com/otasim/otasim/appbundle"
	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/client"
	"github.com/otasim/otasim/sim/device"
	"github.com/otasim/otasim/sim/metrics"
)

// What a device holds for per-file downloads, kept compactly: cached[dev]
// has a bit per bundle whose files are in the device's delta cache (every
// file of a bundle downloaded whole, as a zip the plugin copies into the
// cache after the unzip, A/CapgoUpdater.java:882 cacheBundleFiles,
// I/CapgoUpdater.swift:2051, or file by file, each cached once verified,
// A/DownloadService.java:922, I/CapgoUpdater.swift:1715); the builtin's
// files are known from the bundles' layout; partial holds, for a device
// whose last per-file download failed, which of that bundle's files did
// arrive (the cache keeps them: A/DownloadService.java:922).
type partialFiles struct {
	bundle uint8
	have   []uint64
}

// manifestJob is the part of a download job for a per-file bundle.
type manifestJob struct {
	entries  []protocol.ManifestFile
	fetch    []client.FileSpec
	entryOf  []uint32 // manifest entry of each fetched file
	reused   uint32
	unusable uint32
	cutAt    int // a fetched file the device's network drops (-1 none)
	results  []client.FileResult
}

// holds reports whether a device holds the file of a manifest entry: the
// builtin at the same path with the same hash, or a cached copy of the
// same bytes (A/DownloadService.java:527-535, I/CapgoUpdater.swift
// :1499-1508). A file the simulator did not build is never held.
func (e *engine) holds(dev uint32, b uint8, entry int, hash string) bool {
	id, ok := e.files.byHash[hash]
	if !ok {
		return false
	}
	sb := e.bundles.synth[b]
	samePath := sb != nil && entry < len(sb.ids) && sb.ids[entry] == id
	if e.files.builtin[id] && samePath {
		return true
	}
	if e.files.in[id]&e.cached[dev] != 0 {
		return true
	}
	if sd := e.side.get(dev); sd != nil && sd.partial != nil && samePath && sd.partial.bundle == b && entry/64 < len(sd.partial.have) &&
		sd.partial.have[entry/64]&(1<<(entry%64)) != 0 {
		return true
	}
	return false
}

// plainHash is an entry's hash as the device compares it: with the app's
// key and a session key, the encrypted hash opened (A/DownloadService.java
// :477, I/CapgoUpdater.swift:1447); "" when it is missing or does not
// open. Opened hashes are remembered (the same input gives the same
// output; the first is opened for real).
func (e *engine) plainHash(hash string, session bool) string {
	if hash == "" || e.pub == nil || !session {
		return hash
	}
	if h, ok := e.opened[hash]; ok {
		return h
	}
	h, err := appbundle.OpenChecksum(hash, e.pub)
	if err != nil {
		h = ""
	}
	e.opened[hash] = h
	return h
}

// prepareFiles decides which files of an offer's manifest the device must
// fetch.
func (e *engine) prepareFiles(j *job, p pendingDownload) {
	mj := &manifestJob{entries: p.manifest, cutAt: -1}
	session := p.session != ""
	for i, f := range p.manifest {
		h := e.plainHash(f.FileHash, session)
		switch {
		case h == "":
			mj.unusable++
		case e.holds(j.dev, j.bundle, i, h):
			mj.reused++
		default:
			mj.fetch = append(mj.fetch, client.FileSpec{URL: f.DownloadURL, Hash: h, Brotli: strings.HasSuffix(f.FileName, ".br")})
			mj.entryOf = append(mj.entryOf, uint32(i))
			if id, ok := e.files.byHash[h]; ok {
				j.size += e.files.size[id]
			}
		}
	}
	j.manifest = mj
	pl := e.Platform(j.dev)
	j.fopt = client.FilesOptions{StopAtFailure: pl.ManifestStopsAtFailure, UserAgent: j.opt.UserAgent}
	if e.pub != nil && session {
		if sk, err := appbundle.OpenSessionKey(p.session, e.pub); err == nil {
			j.fopt.Session = &sk
		} else {
			// Every file will fail to decrypt, as on the device.
			j.fopt.Session = &appbundle.SessionKey{}
		}
	}
}

// manifestResult reads a per-file download's outcome for the device, and
// updates what the device holds.
func (e *engine) manifestResult(j *job) *device.ManifestResult {
	mj := j.manifest
	mr := &device.ManifestResult{Total: uint32(len(mj.entries)), Done: mj.reused, Unusable: mj.unusable}
	have := make([]uint64, (len(mj.entries)+63)/64)
	stop := e.Platform(j.dev).ManifestStopsAtFailure
	for k := range mj.fetch {
		entry := mj.entryOf[k]
		kind := uint8(0)
		switch {
		case j.local || k == mj.cutAt:
			kind = device.FailNetwork
		case k >= len(mj.results):
			continue // not started after a failure
		default:
			kind = fileFail(mj.results[k].Outcome)
		}
		if kind != 0 {
			mr.Fails = append(mr.Fails, device.FileFail{File: entry, Kind: kind})
			if stop {
				break
			}
			continue
		}
		mr.Done++
		have[entry/64] |= 1 << (entry % 64)
	}
	switch {
	case len(mr.Fails) == 0 && mr.Unusable == 0 && mr.Done == mr.Total:
		if j.bundle < device.MaxBundles {
			e.cached[j.dev] |= 1 << j.bundle
		}
		if sd := e.side.get(j.dev); sd != nil {
			sd.partial = nil
			e.side.release(j.dev)
		}
	case mr.Done > mj.reused:
		e.side.add(j.dev).partial = &partialFiles{bundle: j.bundle, have: have}
	}
	return mr
}

func fileFail(outcome uint8) uint8 {
	switch outcome {
	case client.FileOK:
		return 0
	case client.FileStatus:
		return device.FailStatus
	case client.FileChecksum:
		return device.FailChecksum
	case client.FileDecrypt:
		return device.FailDecrypt
	case client.FileBrotli:
		return device.FailBrotli
	}
	return device.FailNetwork
}

// recordDelivery records a finished bundle download for the delivery
// metrics.
func (e *engine) recordDelivery(j *job, ok bool) {
	kind, bytes := metrics.Zip, j.dl.Bytes
	if mj := j.manifest; mj != nil {
		kind, bytes = metrics.Manifest, 0
		for _, r := range mj.results {
			bytes += r.Bytes
			e.deliv.File(r.Latency.Microseconds(), r.Outcome == client.FileOK)
		}
		if j.local || (mj.cutAt >= 0 && mj.cutAt < len(mj.fetch)) {
			e.deliv.FileLost() // the device's network dropped it
		}
		e.deliv.Reused(int(mj.reused))
	}
	a := &e.attrs[j.dev]
	e.deliv.Download(kind, int(a.Cohort), int(a.Profile), bytes, e.bundles.size[j.bundle], ok)
}

// StatFile renders a stats event about one file of a manifest.
func (e *engine) StatFile(dev uint32, action string, b uint8, file uint32, form uint8, post bool) {
	if int(file) < len(e.curManifest) {
		n := e.curManifest[file].FileName
		switch form {
		case device.FileTarget:
			n = appbundle.TargetName(n)
		case device.FileBase:
			n = appbundle.BaseName(appbundle.TargetName(n))
		}
		if post {
			e.postNamed(dev, action, e.bundles.name(b)+":"+n)
			return
		}
		e.statNamed(dev, action, e.bundles.name(b)+":"+n)
		return
	}
	if post {
		e.Post(dev, action, b)
	} else {
		e.Stat(dev, action, b, device.None)
	}
}

// zipCrypt prepares a zip download of an encrypted bundle on an app with a
// key: the session key and the checksum opened with it, as the device
// opens them (A/CapgoUpdater.java:841-843, I/CapgoUpdater.swift:2036,
// I/CapacitorUpdaterPlugin.swift:4405).
func (e *engine) zipCrypt(j *job) {
	if e.pub == nil {
		return
	}
	if j.checksum != "" {
		j.crypt.ChecksumUnopened = e.plainHash(j.checksum, true) == ""
	}
	if j.session == "" {
		return
	}
	sk, err := appbundle.OpenSessionKey(j.session, e.pub)
	if err != nil {
		j.crypt.DecryptFailed = true
		return
	}
	j.opt.Session = &sk
	if !j.crypt.ChecksumUnopened {
		j.checksum = e.plainHash(j.checksum, true)
	}
}

// workFiles runs a per-file download on a worker.
func (e *engine) workFiles(ctx context.Context, j *job, mj *manifestJob) {
	j.res = client.Result{RetryAfter: -1, Sent: time.Now(), Status: 200}
	fetch := mj.fetch
	if mj.cutAt >= 0 && mj.cutAt < len(fetch) {
		fetch = fetch[:mj.cutAt]
	}
	mj.results = e.cl.DownloadFiles(ctx, fetch, j.fopt)
	j.res.Done = time.Now()
	j.dl.Complete = true
	for _, r := range mj.results {
		j.dl.Bytes += r.Bytes
		if r.Outcome != client.FileOK {
			j.dl.Complete = false
		}
	}
}

// deliverDownload hands a finished download to the device.
func (e *engine) deliverDownload(j *job, s *device.State, now int64) {
	i := j.dev
	r := device.DownloadResult{Bundle: j.bundle, Crypt: j.crypt}
	r.Key, r.Session, r.NoChecksum = e.pub != nil, j.session != "", j.checksum == ""
	if mj := j.manifest; mj != nil {
		r.Share, r.OK, r.ChecksumOK = 1, true, true
		r.Manifest = e.manifestResult(j)
		e.recordDelivery(j, len(r.Manifest.Fails) == 0 && r.Manifest.Done == r.Manifest.Total)
		e.curManifest = mj.entries
		e.m.DownloadDone(s, i, now, r)
		e.curManifest = nil
		return
	}
	r.OK = !j.local && j.dl.Complete
	r.ChecksumOK = r.OK && j.dl.ChecksumOK
	r.DecryptFailed = r.DecryptFailed || j.dl.DecryptFailed
	if d := e.bundles.defects(j.bundle); r.ChecksumOK && d != nil && d.CorruptDownload > 0 &&
		e.pop.Uniform(i, purposeCorrupt, uint64(j.intendedMs)) < d.CorruptDownload {
		r.ChecksumOK = false // the device's copy is corrupted (storage, proxy)
	}
	if j.size > 0 && !j.local {
		r.Share = min(float64(j.dl.Bytes)/float64(j.size), 1)
	}
	e.recordDelivery(j, r.ChecksumOK && !r.DecryptFailed)
	if r.ChecksumOK && !r.DecryptFailed && j.bundle < device.MaxBundles {
		e.cached[i] |= 1 << j.bundle
	}
	e.m.DownloadDone(s, i, now, r)
}
