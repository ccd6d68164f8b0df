package bundlecheck

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"slices"
)

// Signatures of the records a zip starts with (APPNOTE.TXT 4.3.7, 4.3.16).
var (
	localHeaderSig = []byte("PK\x03\x04")
	emptyZipSig    = []byte("PK\x05\x06")
)

// Upload wraps the body of an upload: its reads fail with a *Refusal as
// soon as the first bytes are not those of a zip's first entry (so a
// large file that is no zip is refused after a few bytes, not read whole)
// and once more than max bytes came. Android reads a bundle from its first
// byte on (ZipInputStream, A/:318-376), so junk before the archive, which
// other readers skip, is refused too.
func Upload(r io.Reader, max int64) io.Reader { return &upload{r: r, max: max} }

// Sized wraps the body of an upload that is not a zip (an encrypted
// bundle, a manifest's file): its reads fail with a *Refusal once more
// than max bytes came.
func Sized(r io.Reader, max int64) io.Reader { return &upload{r: r, max: max, anyHead: true} }

type upload struct {
	r       io.Reader
	max, n  int64
	head    []byte
	anyHead bool // Sized: the first bytes are not checked
}

func (u *upload) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	u.n += int64(n)
	if !u.anyHead && len(u.head) < len(localHeaderSig) {
		u.head = append(u.head, p[:min(n, len(localHeaderSig)-len(u.head))]...)
		if len(u.head) == len(localHeaderSig) || err == io.EOF {
			if rerr := checkHead(u.head); rerr != nil {
				return n, rerr
			}
		}
	}
	if u.n > u.max {
		return n, refuse(RuleTooLarge, "the upload is over %d bytes", u.max)
	}
	return n, err
}

func checkHead(head []byte) error {
	switch {
	case bytes.Equal(head, localHeaderSig):
		return nil
	case bytes.Equal(head, emptyZipSig):
		return refuse(RuleEmpty, "the zip archive is empty")
	case len(head) == 0:
		return refuse(RuleEmpty, "the upload is empty")
	}
	return refuse(RuleNotZip, "the upload does not start with a zip entry (it is no zip, or has bytes before the archive)")
}

// CheckZip checks a whole uploaded zip of size bytes: the entries' count,
// names, kinds, compression and layout (CheckFiles), the unzipped total and
// ratio, that every local header (which Android reads) matches the central
// directory (which iOS reads) with nothing between entries, and that every
// entry inflates to its recorded size and checksum. It returns a *Refusal
// for a bundle that breaks a rule.
func CheckZip(ra io.ReaderAt, size int64, lim Limits) error {
	head := make([]byte, len(localHeaderSig))
	if _, err := ra.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return refuse(RuleNotZip, "cannot read the upload: %v", err)
	}
	if err := checkHead(head); err != nil {
		return err
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return refuse(RuleNotZip, "not a zip archive: %v", err)
	}
	if len(zr.File) > lim.MaxFiles {
		return refuse(RuleTooManyFiles, "%d entries, more than %d", len(zr.File), lim.MaxFiles)
	}
	names := make([]string, len(zr.File))
	var unzipped int64
	for i, f := range zr.File {
		if err := checkEntry(f); err != nil {
			return err
		}
		names[i] = f.Name
		unzipped += int64(min(f.UncompressedSize64, uint64(lim.MaxUnzipped)+1))
		if unzipped > lim.MaxUnzipped {
			return refuse(RuleTooLargeOpen, "the files are over %d bytes once unzipped", lim.MaxUnzipped)
		}
	}
	if err := CheckFiles(names); err != nil {
		return err
	}
	if unzipped > lim.RatioFloor && unzipped > lim.MaxRatio*size {
		return refuse(RuleRatio, "%d bytes unzip to %d, more than %d times as many", size, unzipped, lim.MaxRatio)
	}
	if err := checkLocalHeaders(ra, zr.File); err != nil {
		return err
	}
	for _, f := range zr.File {
		if err := inflate(f); err != nil {
			return err
		}
	}
	return nil
}

// checkEntry checks one entry's name, kind and encoding.
func checkEntry(f *zip.File) error {
	if err := CheckName(f.Name); err != nil {
		return err
	}
	mode := f.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		// iOS would create the link (I/:812-839), Android a file holding
		// its target: refused rather than different per platform.
		return refuse(RuleNotRegular, "entry %.200q is a symbolic link", f.Name)
	case !mode.IsRegular() && !mode.IsDir():
		return refuse(RuleNotRegular, "entry %.200q is not a plain file or folder (%v)", f.Name, mode.Type())
	case f.Flags&0x1 != 0:
		return refuse(RuleUnsupported, "entry %.200q is encrypted (zip encryption; the plugin cannot read it)", f.Name)
	case f.Method != zip.Store && f.Method != zip.Deflate:
		return refuse(RuleUnsupported, "entry %.200q uses compression method %d (the plugin reads stored and deflated entries)", f.Name, f.Method)
	}
	return nil
}

// checkLocalHeaders checks that entries follow one another from the first
// byte, each local header naming what the central directory names: a zip
// whose two directories disagree installs different files on Android and
// iOS, and central entries that share bytes are the overlapping-file zip
// bomb.
func checkLocalHeaders(ra io.ReaderAt, files []*zip.File) error {
	type entry struct {
		f    *zip.File
		data int64
	}
	ents := make([]entry, len(files))
	for i, f := range files {
		off, err := f.DataOffset()
		if err != nil {
			return refuse(RuleCorrupt, "entry %.200q: %v", f.Name, err)
		}
		ents[i] = entry{f, off}
	}
	slices.SortFunc(ents, func(a, b entry) int { return int(min(max(a.data-b.data, -1), 1)) })
	var next int64 // where the next local header starts, give or take slack
	slack := int64(0)
	var hdr [30]byte
	for _, e := range ents {
		found := false
		for at := next; at <= next+slack && !found; at++ {
			if _, err := ra.ReadAt(hdr[:], at); err != nil || !bytes.Equal(hdr[:4], localHeaderSig) {
				continue
			}
			n, m := int64(binary.LittleEndian.Uint16(hdr[26:])), int64(binary.LittleEndian.Uint16(hdr[28:]))
			if at+30+n+m != e.data {
				continue
			}
			name := make([]byte, n)
			if _, err := ra.ReadAt(name, at+30); err != nil {
				return refuse(RuleCorrupt, "entry %.200q: %v", e.f.Name, err)
			}
			if string(name) != e.f.Name {
				return refuse(RuleCorrupt, "the local header of entry %.200q names %.200q (Android reads local headers, iOS the central directory)", e.f.Name, name)
			}
			found = true
		}
		if !found {
			return refuse(RuleCorrupt, "entry %.200q does not follow the previous one (bytes before or between entries, or entries sharing bytes)", e.f.Name)
		}
		next = e.data + int64(e.f.CompressedSize64)
		slack = 0
		if e.f.Flags&0x8 != 0 {
			// A data descriptor: an optional signature, the CRC and two
			// sizes of 4 or 8 bytes (APPNOTE.TXT 4.3.9).
			slack = 24
		}
	}
	return nil
}

// inflate reads an entry whole: archive/zip fails when the bytes are more
// than the recorded size or their CRC-32 is not the recorded one.
func inflate(f *zip.File) error {
	if f.Mode().IsDir() {
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		return refuse(RuleCorrupt, "entry %.200q: %v", f.Name, err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err == nil && uint64(n) != f.UncompressedSize64 {
		err = errors.New("fewer bytes than recorded")
	}
	if err != nil {
		return refuse(RuleCorrupt, "entry %.200q does not inflate to its recorded size and checksum: %v", f.Name, err)
	}
	return nil
}
