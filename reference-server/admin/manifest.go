package admin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/otasim/otasim/appbundle"
	"github.com/otasim/otasim/reference-server/bundlecheck"
	"github.com/otasim/otasim/reference-server/cdn"
	"github.com/otasim/otasim/reference-server/release"
)

// MaxManifestBody bounds the body of a bundle creation, which may carry a
// manifest of thousands of files with encrypted hashes.
const MaxManifestBody = 32 << 20

// maxDecompressed bounds what one brotli file may expand to while its hash
// is checked.
const maxDecompressed = 1 << 30

// ManifestSpec is one file of a per-file bundle: its path on the device
// (ending in .br when the stored bytes are brotli-compressed), the hash
// devices verify, and the stored file (PUT .../files/{object}) the CDN
// serves.
type ManifestSpec struct {
	FileName string `json:"file_name"`
	FileHash string `json:"file_hash"`
	Object   string `json:"object"`
}

// checkEncryption reports the problems of an encrypted bundle's session key
// and checksum: the session key as the CLI makes it (base64 of a 16-byte
// IV, a colon, base64 of the RSA-encrypted key; C/src/api/crypto.ts:31),
// a checksum only with it (the server computes the others).
func checkEncryption(sessionKey, checksum string) []error {
	var errs []error
	if sessionKey != "" {
		iv64, key64, ok := strings.Cut(sessionKey, ":")
		iv, err1 := base64.StdEncoding.DecodeString(iv64)
		_, err2 := base64.StdEncoding.DecodeString(key64)
		if !ok || err1 != nil || err2 != nil || len(iv) != 16 || len(sessionKey) > 1024 {
			errs = append(errs, errors.New(`session_key must be "base64(16-byte IV):base64(encrypted key)", as the Capgo CLI makes it`))
		}
	}
	switch {
	case checksum != "" && sessionKey == "":
		errs = append(errs, errors.New("checksum is given only with a session_key (the server computes a plain bundle's)"))
	case len(checksum) > 1024:
		errs = append(errs, errors.New("checksum has at most 1024 characters"))
	}
	return errs
}

// placeZipObject makes a stored file the bundle's zip.
func (a *API) placeZipObject(b *release.Bundle, object string) error {
	size, ok := a.st.ObjectSize(b.AppID, object)
	if !ok {
		return badRequest(fmt.Errorf("zip %s is not a stored file (PUT .../files/%s first)", object, object))
	}
	path, err := a.st.LinkBundle(b.AppID, object)
	if err != nil {
		return err
	}
	if err := a.checkZip(path, b.SessionKey != ""); err != nil {
		return refusal(err, a.bundles)
	}
	b.Path, b.Size, b.SHA256 = path, size, object
	return nil
}

// checkManifest validates a per-file bundle's files and returns them as the
// release state keeps them. Paths must stay inside the bundle (the
// backend's isSafeManifestPath, utils/manifest_encoding.ts:16, and the
// plugin's resolvePathInsideDirectory, A/CapgoUpdater.java:290) and be
// unique on the device once .br is dropped (the plugin fails a duplicate
// with manifest_path_fail, A/DownloadService.java:498); every file must
// be stored; a plain bundle's hashes are verified against the stored
// bytes, decompressed for .br files; an encrypted bundle's hashes must
// be encrypted ones (the server cannot open them); the files written on
// the device follow the layout rules of an uploaded zip, with index.html
// at the root (bundlecheck.CheckManifest).
func (a *API) checkManifest(appID string, specs []ManifestSpec, encrypted bool) ([]release.ManifestFile, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	if len(specs) > appbundle.MaxFiles {
		return nil, badRequest(fmt.Errorf("a manifest has at most %d files", appbundle.MaxFiles))
	}
	var errs []error
	bad := func(i int, f ManifestSpec, format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf("manifest[%d] %.80q: %s", i, f.FileName, fmt.Sprintf(format, args...)))
		}
	}
	out := make([]release.ManifestFile, 0, len(specs))
	targets := make(map[string]bool, len(specs))
	for i, f := range specs {
		if err := appbundle.CheckPath(f.FileName); err != nil {
			bad(i, f, "%v", err)
			continue
		}
		target := appbundle.TargetName(f.FileName)
		if targets[target] {
			bad(i, f, "another file is written to %s on the device", target)
			continue
		}
		targets[target] = true
		size, ok := a.st.ObjectSize(appID, f.Object)
		if !cdn.IsObject(f.Object) || !ok {
			bad(i, f, "object %.80q is not a stored file", f.Object)
			continue
		}
		if encrypted {
			if !encryptedHash(f.FileHash) {
				bad(i, f, "an encrypted bundle's file_hash is an RSA-2048 encryption (512 hex digits or base64 of 256 bytes)")
			}
		} else if err := a.verifyHash(appID, f); err != nil {
			bad(i, f, "%v", err)
		}
		out = append(out, release.ManifestFile{FileName: f.FileName, FileHash: strings.ToLower(f.FileHash), Object: f.Object, Size: size})
	}
	if len(errs) > 0 {
		return nil, badRequest(errors.Join(errs...))
	}
	names := make([]string, len(out))
	for i, f := range out {
		names[i] = appbundle.TargetName(f.FileName)
	}
	if err := bundlecheck.CheckManifest(names); err != nil {
		return nil, refusal(err, a.bundles)
	}
	if encrypted {
		// Keep encrypted hashes as given (base64 is case-sensitive).
		for i := range out {
			out[i].FileHash = specs[i].FileHash
		}
	}
	return out, nil
}

func encryptedHash(s string) bool {
	if len(s) == 512 && isHex(s) {
		return true
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	return err == nil && len(raw) == 256
}

// verifyHash checks a plain file's hash against its stored bytes.
func (a *API) verifyHash(appID string, f ManifestSpec) error {
	if len(f.FileHash) != 64 || !isHex(f.FileHash) {
		return errors.New("file_hash must be the file's SHA-256 (64 hex digits)")
	}
	want := strings.ToLower(f.FileHash)
	if !strings.HasSuffix(f.FileName, ".br") {
		if want != f.Object {
			return fmt.Errorf("file_hash %s is not the SHA-256 of the stored bytes (%s)", want, f.Object)
		}
		return nil
	}
	fh, err := os.Open(a.st.ObjectPath(appID, f.Object))
	if err != nil {
		return err
	}
	defer fh.Close()
	h := sha256.New()
	lw := &limitWriter{w: h, left: maxDecompressed}
	if err := appbundle.Decompress(lw, fh); err != nil {
		if lw.left < 0 {
			return fmt.Errorf("expands to more than %d bytes", int64(maxDecompressed))
		}
		return errors.New("a .br file must hold brotli-compressed bytes")
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("file_hash %s is not the SHA-256 of the decompressed bytes (%s)", want, got)
	}
	return nil
}

// limitWriter fails once more than left bytes are written.
type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	l.left -= int64(len(p))
	if l.left < 0 {
		return 0, errors.New("too large")
	}
	return l.w.Write(p)
}
