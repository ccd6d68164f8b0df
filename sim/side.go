package sim

import "github.com/otasim/otasim/protocol"

// side is what the engine holds for a device only while the device needs
// it: requests in flight, a session end waiting for them, or the offer of
// its last check until the download is sent. The zero value holds none.
type side struct {
	// modelledUntil is when the modelled network ends the last request
	// in flight (virtual ms).
	modelledUntil int64
	// endAt is the scheduled time of a session end waiting for them
	// (when waiting).
	endAt int64
	dl    pendingDownload
	// partial holds the files a failed per-file download kept
	// (manifest.go).
	partial *partialFiles
	busy    uint8 // checks, channel calls and downloads in flight
	waiting bool  // a session end waits
}

// pendingDownload is an /updates offer waiting for its download.
type pendingDownload struct {
	url, checksum, session string
	manifest               []protocol.ManifestFile
}

func (d *pendingDownload) none() bool {
	return d.url == "" && d.checksum == "" && d.session == "" && d.manifest == nil
}

func (s *side) idle() bool { return s.busy == 0 && !s.waiting && s.dl.none() && s.partial == nil }

// sides is the side state of every device.
type sides struct{ slab[side] }

func newSides(n int) sides { return sides{newSlab(n, func(s *side) { *s = side{} })} }

// release gives the device's record back once nothing holds it.
func (t *sides) release(dev uint32) {
	if s := t.get(dev); s != nil && s.idle() {
		t.remove(dev)
	}
}

// busy is the device's requests in flight.
func (t *sides) busy(dev uint32) uint8 {
	if s := t.get(dev); s != nil {
		return s.busy
	}
	return 0
}
