package device

import "github.com/otasim/otasim/protocol"

// Crypt is what a download found out about encryption v2: whether the app
// has a public key, whether the offer came with a session key and a
// checksum, and what opening them with the key gave. The machine decides
// from these what the plugin reports.
type Crypt struct {
	// Key: the app has a public key (CapacitorUpdater.publicKey).
	Key bool
	// Session: the offer has a session_key; NoChecksum: it has no
	// checksum.
	Session, NoChecksum bool
	// DecryptFailed: with a key and a session key, the session key did
	// not open or the bytes did not decrypt (A/CryptoCipher.java:160,
	// I/CryptoCipher.swift:300).
	DecryptFailed bool
	// ChecksumUnopened: with a key, the checksum did not open with it (not
	// an encrypted one, or another key's: A/CryptoCipher.java:255, :297).
	ChecksumUnopened bool
}

// undecrypted ends an iOS zip download whose bytes are not a zip once
// decrypted (I/CapgoUpdater.swift:2034-2044): after download_70, a
// session key that does not open is a failed download (the catch at
// I/CapacitorUpdaterPlugin.swift:4494, download_fail of the running
// bundle); an encrypted bundle on an app without a key stays encrypted
// and fails to unzip (I/CapgoUpdater.swift:856 unzip_fail).
func (m Machine) undecrypted(s *State, dev uint32, p *Platform, r DownloadResult) bool {
	undecryptable := r.Key && r.Session && r.DecryptFailed
	notDecrypted := !r.Key && r.Session
	if !undecryptable && !notDecrypted {
		return false
	}
	if len(p.AfterMarks) > 0 {
		m.progress(s, dev, p, p.AfterMarks[0], r.Bundle)
	}
	action := protocol.ActionDownloadFail
	if notDecrypted {
		m.Env.Stat(dev, protocol.ActionUnzipFail, s.Running, None)
		action = protocol.ActionUnzipFail
	}
	m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
	m.fail(s, dev, r.Bundle, action)
	return true
}

// cryptRefused is Android's finishDownload before the unzip
// (A/CapgoUpdater.java:831-873): with a key, a zip without a checksum is
// refused with checksum_required (of the running bundle); a session key
// or checksum that does not open throws. Either way the new bundle is
// deleted, download_fail goes to the running bundle and
// finish_download_fail to the new one (:862, :872, :711).
func (m Machine) cryptRefused(s *State, dev uint32, r DownloadResult) bool {
	b := r.Bundle
	action := protocol.ActionDownloadFail
	switch {
	case r.Key && r.NoChecksum:
		m.Env.Stat(dev, protocol.ActionChecksumRequired, s.Running, None)
		action = protocol.ActionChecksumRequired
	case r.Key && r.Session && (r.DecryptFailed || r.ChecksumUnopened):
	default:
		return false
	}
	m.Env.Stat(dev, protocol.ActionDelete, b, None)
	m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
	m.Env.Stat(dev, protocol.ActionFinishDownloadFail, b, None)
	m.fail(s, dev, b, action)
	return true
}

// checksumUnopened is iOS's checksum step after a download with a key
// (I/CapacitorUpdaterPlugin.swift:4405): a checksum that does not open
// (none, a plain one, another key's) throws, the catch reports
// download_fail of the running bundle (:4494) and the bundle, already on
// the device, is found by name at the next offer and fails the same way
// without a download (:4362), as a bundle kept in error.
func (m Machine) checksumUnopened(s *State, dev uint32, r DownloadResult) bool {
	if !r.Key || !(r.NoChecksum || r.ChecksumUnopened) {
		return false
	}
	m.Env.Stat(dev, protocol.ActionDownloadFail, s.Running, None)
	m.keepFailed(s, r.Bundle)
	m.fail(s, dev, r.Bundle, protocol.ActionDownloadFail)
	return true
}

// keepFailed keeps bundle b on the device in error: offered again, it is
// refused with download_fail and not downloaded.
func (m Machine) keepFailed(s *State, b uint8) {
	if b < MaxBundles {
		s.Failed |= 1 << b
	}
}
