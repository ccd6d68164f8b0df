package appbundle

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
)

// BrotliMinSize is the smallest file the CLI compresses (C/src/bundle/
// partial.ts:40, the RFC's minimum).
const BrotliMinSize = 8192

// Options say how to build a bundle.
type Options struct {
	// Manifest: also build the per-file manifest (`bundle upload --delta`).
	Manifest bool
	// Key encrypts the bundle (encryption v2) with the app's private key;
	// nil builds a plain bundle.
	Key *rsa.PrivateKey
	// NoBrotli stores every manifest file as it is (`--disable-brotli`).
	NoBrotli bool
	// Session is the session key to use instead of a fresh one (tests
	// that need the same bytes each time).
	Session *SessionKey
}

// Entry is one file of a manifest: FileName and FileHash as a device gets
// them (FileName ends in .br when Data is brotli-compressed; FileHash is
// the SHA-256 of the original bytes, or its encryption), Data the bytes
// the CDN serves (compressed, then encrypted) and Size the original
// length.
type Entry struct {
	FileName string
	FileHash string
	Data     []byte
	Size     int64
}

// Object is the content address of the bytes the CDN serves for an entry:
// their SHA-256.
func (e *Entry) Object() string { return SHA256Hex(e.Data) }

// Built is a bundle ready to upload.
type Built struct {
	// Zip is the archive as served (encrypted with an encryption key).
	Zip []byte
	// ZipSize is the plain archive's size.
	ZipSize int64
	// Checksum is what devices get: the SHA-256 of the plain zip, or its
	// encryption (C/src/bundle/upload.ts:321, :351).
	Checksum string
	// SessionKey is the reply's session_key ("" for a plain bundle).
	SessionKey string
	// KeyID is the key id of the public key (the bundle's key_id).
	KeyID    string
	Manifest []Entry
}

// SHA256Hex is the lower-case hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Build builds a bundle of files as `bundle upload` does (C/src/bundle/
// upload.ts:296-371 the zip, its checksum and its encryption; C/src/
// bundle/partial.ts:122, :234 the manifest): one session key for the zip
// and every manifest file.
func Build(files []File, opt Options) (*Built, error) {
	zipped, err := Zip(files)
	if err != nil {
		return nil, err
	}
	return build(files, zipped, opt)
}

// BuildStored is Build with a stored (uncompressed) zip.
func BuildStored(files []File, opt Options) (*Built, error) {
	zipped, err := StoredZip(files)
	if err != nil {
		return nil, err
	}
	return build(files, zipped, opt)
}

func build(files []File, zipped []byte, opt Options) (*Built, error) {
	b := &Built{Zip: zipped, ZipSize: int64(len(zipped)), Checksum: SHA256Hex(zipped)}
	var sk SessionKey
	if opt.Key != nil {
		var err error
		if opt.Session != nil {
			sk = *opt.Session
		} else if sk, err = NewSessionKey(); err != nil {
			return nil, err
		}
		if b.SessionKey, err = sk.Wire(opt.Key); err != nil {
			return nil, err
		}
		if b.Checksum, err = EncryptChecksum(b.Checksum, opt.Key); err != nil {
			return nil, err
		}
		b.Zip = sk.Encrypt(zipped)
		b.KeyID = KeyID(PublicPEM(&opt.Key.PublicKey))
	}
	if !opt.Manifest {
		return b, nil
	}
	targets := map[string]bool{}
	for _, f := range files {
		if !inManifest(f) {
			continue
		}
		if err := CheckPath(f.Name); err != nil {
			return nil, fmt.Errorf("appbundle: manifest: %w", err)
		}
		if strings.Contains(f.Name, " ") {
			// C/src/bundle/partial.ts:220: the CLI refuses them too.
			return nil, fmt.Errorf("appbundle: manifest: file %q has a space in its name", f.Name)
		}
		e := Entry{FileName: f.Name, FileHash: SHA256Hex(f.Data), Data: f.Data, Size: int64(len(f.Data))}
		if !opt.NoBrotli {
			if c, ok := compress(f.Data); ok {
				e.FileName, e.Data = f.Name+".br", c
			}
		}
		if targets[TargetName(e.FileName)] {
			return nil, fmt.Errorf("appbundle: manifest: %s and %s.br are the same file on the device", TargetName(e.FileName), TargetName(e.FileName))
		}
		targets[TargetName(e.FileName)] = true
		if opt.Key != nil {
			var err error
			if e.FileHash, err = EncryptChecksum(e.FileHash, opt.Key); err != nil {
				return nil, err
			}
			e.Data = sk.Encrypt(e.Data)
		}
		b.Manifest = append(b.Manifest, e)
	}
	return b, nil
}

// compress is the CLI's shouldUseBrotli (C/src/bundle/partial.ts:78):
// files of at least BrotliMinSize bytes, kept compressed only when that
// saves more than 10 bytes.
func compress(data []byte) ([]byte, bool) {
	if len(data) < BrotliMinSize {
		return nil, false
	}
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	_, _ = w.Write(data) // a bytes.Buffer does not fail
	_ = w.Close()
	if buf.Len() >= len(data)-10 {
		return nil, false
	}
	return buf.Bytes(), true
}

// Decompress reverses a .br file as the plugin does (A/DownloadService.java
// :1003 decompressBrotli), streaming into w.
func Decompress(w io.Writer, compressed io.Reader) error {
	if _, err := io.Copy(w, brotli.NewReader(compressed)); err != nil {
		return fmt.Errorf("appbundle: brotli: %w", err)
	}
	return nil
}

// Upload is a built bundle as the reference server's admin API creates
// it (POST /admin/apps/{app}/bundles), once its files are stored (PUT
// /admin/apps/{app}/files/{object} of the zip and of every manifest
// file).
type Upload struct {
	Name       string        `json:"name,omitempty"`
	Zip        string        `json:"zip"`
	Manifest   []UploadEntry `json:"manifest,omitempty"`
	SessionKey string        `json:"session_key,omitempty"`
	Checksum   string        `json:"checksum,omitempty"`
	KeyID      string        `json:"key_id,omitempty"`
}

// UploadEntry is one manifest file of an Upload.
type UploadEntry struct {
	FileName string `json:"file_name"`
	FileHash string `json:"file_hash"`
	Object   string `json:"object"`
}

// Upload describes b for the admin API under a version name.
func (b *Built) Upload(name string) Upload {
	u := Upload{Name: name, Zip: SHA256Hex(b.Zip), KeyID: b.KeyID}
	if b.SessionKey != "" {
		u.SessionKey, u.Checksum = b.SessionKey, b.Checksum
	}
	for i := range b.Manifest {
		e := &b.Manifest[i]
		u.Manifest = append(u.Manifest, UploadEntry{FileName: e.FileName, FileHash: e.FileHash, Object: e.Object()})
	}
	return u
}
