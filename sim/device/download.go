package device

import "github.com/otasim/otasim/protocol"

// DownloadResult is the outcome of a bundle download.
type DownloadResult struct {
	Bundle uint8
	// Share is the part of the bundle's bytes that arrived (0 to 1).
	Share float64
	// OK: every byte arrived; ChecksumOK: their SHA-256 (of the decrypted
	// bytes when they were decrypted) matched the checksum (opened with the
	// app's key when it opened).
	OK, ChecksumOK bool
	Crypt
	// Manifest is the outcome of a per-file download (nil for a zip).
	Manifest *ManifestResult
}

// progressAction is the download_NN action of a mark (0 to 90 by tens).
func progressAction(mark uint8) string {
	const names = "download_0 download_10download_20download_30download_40" +
		"download_50download_60download_70download_80download_90"
	if mark == 0 {
		return names[:10]
	}
	i := int(mark/10) * 11
	return names[i : i+11]
}

// progress reports download_NN for bundle b, under Android's high-water
// mark (Platform.HighWater).
func (m Machine) progress(s *State, dev uint32, p *Platform, mark, b uint8) {
	if p.HighWater {
		if mark <= s.Mark {
			return
		}
		s.Mark = mark
	}
	m.Env.Stat(dev, progressAction(mark), b, None)
}

// startDownload fetches b (A/CapgoUpdater.java:1382 downloadBackground,
// I/CapgoUpdater.swift:1943 download). A direct update decided at the
// check applies the bundle as soon as it is in.
func (m Machine) startDownload(s *State, dev uint32, b uint8, direct, manifest bool) {
	p := m.Env.Platform(dev)
	s.Downloading = b
	s.clear(FlagDownloadDirect | FlagDownloadManifest)
	if direct {
		s.set(FlagDownloadDirect)
	}
	start := protocol.ActionDownloadZipStart
	if manifest {
		// A/DownloadService.java:441, I/CapgoUpdater.swift:1392.
		s.set(FlagDownloadManifest)
		start = protocol.ActionManifestStart
	}
	s.set(FlagAttempt)
	m.Env.Note(dev, Note{Kind: NoteAttempt, Bundle: b})
	if p.ZipPosted {
		m.Env.Post(dev, start, b)
	} else {
		m.Env.Stat(dev, start, b, None)
	}
	for _, mark := range p.StartMarks {
		m.progress(s, dev, p, mark, b)
	}
	m.Env.Send(dev, ReqDownload, b)
}

// DownloadDone handles the end of a download. A transfer cut short fails
// the attempt; the plugin starts the next one from the first byte, under
// a new bundle id (A/CapgoUpdater.java:1393, I/CapgoUpdater.swift:1945).
func (m Machine) DownloadDone(s *State, dev uint32, now int64, r DownloadResult) {
	if s.Downloading != r.Bundle {
		return
	}
	b, p := r.Bundle, m.Env.Platform(dev)
	direct := s.Has(FlagDownloadDirect)
	s.Downloading = None
	s.clear(FlagDownloadDirect | FlagDownloadManifest)
	if r.Manifest != nil {
		m.manifestDone(s, dev, now, r, direct)
		return
	}
	for _, mark := range p.ByteMarks {
		// The first bytes already count as 10 (A/DownloadService.java:362).
		if r.Share > 0 && (float64(mark) <= r.Share*100 || mark == p.ByteMarks[0]) {
			m.progress(s, dev, p, mark, b)
		}
	}
	if !r.OK {
		v := s.Running
		if p.DownloadFailOnNew {
			v = b
		}
		m.Env.Stat(dev, protocol.ActionDownloadFail, v, None)
		m.fail(s, dev, b, protocol.ActionDownloadFail)
		return
	}
	if p.DecryptBeforeUnzip && m.undecrypted(s, dev, p, r) {
		return
	}
	if p.ZipPosted {
		m.Env.Post(dev, protocol.ActionDownloadZipDone, b)
	}
	if !p.DecryptBeforeUnzip && m.cryptRefused(s, dev, r) {
		return
	}
	if !r.ChecksumOK && !p.ChecksumAfterUnzip {
		// A/CapgoUpdater.java:853 checksum_fail and :872 download_fail of
		// the running bundle, :1621 the new one deleted, :711
		// finish_download_fail.
		m.Env.Stat(dev, protocol.ActionChecksumFail, s.Running, None)
		m.Env.Stat(dev, protocol.ActionDelete, b, None)
		m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
		m.Env.Stat(dev, protocol.ActionFinishDownloadFail, b, None)
		m.fail(s, dev, b, protocol.ActionChecksumFail)
		return
	}
	for _, mark := range p.AfterMarks {
		m.progress(s, dev, p, mark, b)
	}
	if !p.ZipPosted {
		m.Env.Stat(dev, protocol.ActionDownloadZipDone, b, None)
	}
	m.Env.Stat(dev, protocol.ActionDownloadComplete, b, None)
	if p.HighWater {
		s.Mark = 100
	}
	if p.ChecksumMustOpen && m.checksumUnopened(s, dev, r) {
		return
	}
	if !r.ChecksumOK {
		// I/CapacitorUpdaterPlugin.swift:4410 checksum_fail of the new
		// bundle, deleted, then download_fail of the running one.
		m.Env.Stat(dev, protocol.ActionChecksumFail, b, None)
		m.Env.Stat(dev, protocol.ActionDelete, b, None)
		m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
		m.fail(s, dev, b, protocol.ActionChecksumFail)
		return
	}
	m.installed(s, dev, now, b, direct)
}

// installed: bundle b is on the device, ready.
func (m Machine) installed(s *State, dev uint32, now int64, b uint8, direct bool) {
	m.abandonNext(s, dev, b)
	s.Next = b
	s.clear(FlagNextStored)
	m.stored(s, dev, now, b, direct)
}

// stored decides what to do with bundle b on the device: apply it now (a
// direct update), set it as next, or keep it (onlyDownload).
func (m Machine) stored(s *State, dev uint32, now int64, b uint8, direct bool) {
	mode := m.Env.Behaviour(dev).Mode
	switch {
	case !setsNext(mode):
		m.abandonNext(s, dev, b)
		s.Next = b
		s.set(FlagNextStored)
	case direct && m.Env.InWindow(dev, now):
		m.apply(s, dev, b)
	default:
		m.abandonNext(s, dev, b)
		s.Next = b
		s.clear(FlagNextStored)
		m.Env.Stat(dev, protocol.ActionSetNext, b, s.Running)
		m.awaitWindow(s, dev, now)
	}
}

// abandonNext drops a waiting bundle that b replaces.
func (m Machine) abandonNext(s *State, dev uint32, b uint8) {
	if s.Next != None && s.Next != b {
		if s.Next != Builtin {
			m.Env.Note(dev, Note{Kind: NoteAbandon, Bundle: s.Next})
		}
		s.Next = None
	}
}

func (m Machine) fail(s *State, dev uint32, b uint8, action string) {
	s.clear(FlagAttempt)
	m.Env.Note(dev, Note{Kind: NoteFailure, Bundle: b, Action: action})
}

// awaitWindow schedules the apply of a waiting bundle at the opening of
// the device's maintenance window, when it has one and is outside it.
func (m Machine) awaitWindow(s *State, dev uint32, now int64) {
	if s.Next == None || m.Env.InWindow(dev, now) {
		return
	}
	if d := m.Env.UntilWindow(dev, now); d > 0 {
		m.Env.After(dev, d, TimerWindow, uint32(s.Next))
	}
}
