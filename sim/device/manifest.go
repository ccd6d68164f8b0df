package device

import "github.com/otasim/otasim/protocol"

// ManifestResult is the outcome of a per-file download: the offer's
// manifest had Total entries; Done of them were completed (found on the
// device, in the builtin or the delta cache, or downloaded and verified)
// before the download ended; Fails lists the files that failed, in
// manifest order; Unusable counts entries without a hash or whose hash
// did not open with the app's key, which fail the download without a
// stats event (A/DownloadService.java:471-485, I/CapgoUpdater.swift
// :1427-1458).
type ManifestResult struct {
	Total, Done uint32
	Fails       []FileFail
	Unusable    uint32
}

// FileFail is one file that failed: its entry in the manifest and how.
type FileFail struct {
	File uint32
	Kind uint8
}

// How a manifest file fails.
const (
	// FailStatus: the CDN answered neither 200 nor 206.
	FailStatus uint8 = iota + 1
	// FailNetwork: no answer, a connection lost mid-body, a timeout.
	FailNetwork
	// FailChecksum: the file's bytes do not match its hash.
	FailChecksum
	// FailDecrypt: the file does not decrypt with the session key.
	FailDecrypt
	// FailBrotli: a .br file does not decompress.
	FailBrotli
)

// Forms of a file's name in its stats (version_name "version:name"): as
// in the manifest, its path on the device (without .br), or the last
// segment of that path.
const (
	FileName uint8 = iota
	FileTarget
	FileBase
)

// manifestDone ends a per-file download (A/DownloadService.java:428
// handleManifestDownload and A/CapgoUpdater.java:814 finishDownload;
// I/CapgoUpdater.swift:1372 downloadManifest): per-file progress, the
// per-file failure actions, then download_manifest_complete or the
// failure of the whole download.
func (m Machine) manifestDone(s *State, dev uint32, now int64, r DownloadResult, direct bool) {
	b, p, mr := r.Bundle, m.Env.Platform(dev), r.Manifest
	for k := uint32(1); k <= mr.Done && mr.Total > 0; k++ {
		pct := int(uint64(k) * 100 / uint64(mr.Total))
		if p.ManifestCountMarks {
			if v := pct*60/100 + 10; v%10 == 0 {
				m.Env.Stat(dev, progressAction(uint8(v)), b, None)
			}
			continue
		}
		m.progress(s, dev, p, uint8(min(max(pct, 10), 70)/10*10), b)
	}
	for _, f := range mr.Fails {
		m.fileFailed(dev, p, b, f)
	}
	if len(mr.Fails) > 0 || mr.Unusable > 0 || mr.Done < mr.Total {
		v := s.Running
		if p.DownloadFailOnNew {
			v = b // the worker's failure (A/CapgoUpdater.java:753)
		}
		m.Env.Stat(dev, protocol.ActionDownloadFail, v, None)
		if p.ManifestKeepsFailed {
			m.keepFailed(s, b)
		}
		action := protocol.ActionManifestFileFail
		if len(mr.Fails) == 0 {
			action = protocol.ActionDownloadFail
		}
		m.fail(s, dev, b, action)
		return
	}
	if p.ZipPosted {
		// A/DownloadService.java:588; then finishDownload's 71 and 91
		// (A/CapgoUpdater.java:828, :884) and 100.
		m.Env.Post(dev, protocol.ActionManifestDone, b)
		m.progress(s, dev, p, 70, b)
		m.progress(s, dev, p, 90, b)
	} else {
		m.Env.Stat(dev, protocol.ActionManifestDone, b, None)
	}
	m.Env.Stat(dev, protocol.ActionDownloadComplete, b, None)
	if p.HighWater {
		s.Mark = 100
	}
	if p.ChecksumMustOpen && m.checksumUnopened(s, dev, r) {
		return
	}
	m.installed(s, dev, now, b, direct)
}

// fileFailed reports one failed file as the platform's plugin does.
// Android (A/DownloadService.java): a status other than 200 or 206 posts
// download_manifest_file_fail with the file's last name (:867), a bad
// checksum download_manifest_checksum_fail (:910), a bad brotli stream
// download_manifest_brotli_fail (:913), then every failure posts
// download_manifest_file_fail with the manifest's name (:555); a file
// that does not decrypt has only that one. iOS (I/CapgoUpdater.swift)
// queues one event: download_manifest_file_fail for a status or network
// error (:1622-1657), decrypt_fail of the version (:1682),
// download_manifest_brotli_fail (:1694) or _checksum_fail (:1711) with
// the path on the device.
func (m Machine) fileFailed(dev uint32, p *Platform, b uint8, f FileFail) {
	post := p.ZipPosted
	if post {
		switch f.Kind {
		case FailStatus:
			m.Env.StatFile(dev, protocol.ActionManifestFileFail, b, f.File, FileBase, true)
		case FailChecksum:
			m.Env.StatFile(dev, protocol.ActionManifestChecksumFail, b, f.File, FileBase, true)
		case FailBrotli:
			m.Env.StatFile(dev, protocol.ActionManifestBrotliFail, b, f.File, FileBase, true)
		}
		m.Env.StatFile(dev, protocol.ActionManifestFileFail, b, f.File, FileName, true)
		return
	}
	switch f.Kind {
	case FailDecrypt:
		m.Env.Stat(dev, protocol.ActionDecryptFail, b, None)
	case FailChecksum:
		m.Env.StatFile(dev, protocol.ActionManifestChecksumFail, b, f.File, FileTarget, false)
	case FailBrotli:
		m.Env.StatFile(dev, protocol.ActionManifestBrotliFail, b, f.File, FileTarget, false)
	default:
		m.Env.StatFile(dev, protocol.ActionManifestFileFail, b, f.File, FileName, false)
	}
}
