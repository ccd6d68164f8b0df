package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/otasim/otasim/appbundle"
)

// FileSpec is one file of a per-file (manifest) download: where it is and
// the SHA-256 (hex) of its original bytes, which the device checks after
// decrypting them (with the bundle's session key) and decompressing them
// (a .br file).
type FileSpec struct {
	URL    string
	Hash   string
	Brotli bool
}

// How a file download ends.
const (
	FileOK uint8 = iota
	// FileStatus: the CDN answered neither 200 nor 206.
	FileStatus
	// FileNetwork: no answer, a lost connection, a timeout.
	FileNetwork
	// FileChecksum: the bytes do not match the hash.
	FileChecksum
	// FileDecrypt: the bytes do not decrypt with the session key.
	FileDecrypt
	// FileBrotli: a .br file does not decompress.
	FileBrotli
)

// maxFileBytes bounds one manifest file as the client reads it.
const maxFileBytes = 256 << 20

// FileResult is the outcome of one file.
type FileResult struct {
	Outcome uint8
	Status  int
	// Bytes received; Latency from the request to the last byte.
	Bytes   int64
	Latency time.Duration
	Err     error
}

// FilesOptions change how a per-file download behaves.
type FilesOptions struct {
	// Session decrypts every file (an encrypted bundle); nil: plain.
	Session *appbundle.SessionKey
	// StopAtFailure starts no file after one failed (the iOS plugin).
	StopAtFailure bool
	UserAgent     string
	// Shape is imposed on every file (runs at speed 1).
	Shape Shaping
}

// DownloadFiles fetches the files one after the other over the download
// connections and checks each as the plugin does (A/DownloadService.java
// :835 downloadAndVerify, I/CapgoUpdater.swift:1573): decrypt, decompress,
// SHA-256. A file whose bytes equal a copy already verified against the
// same hash, URL and session key passes without decoding again (equal
// inputs give equal outputs); the first is decoded for real.
func (c *Client) DownloadFiles(ctx context.Context, files []FileSpec, opt FilesOptions) []FileResult {
	out := make([]FileResult, len(files))
	var buf bytes.Buffer
	for i, f := range files {
		if opt.StopAtFailure && i > 0 && out[i-1].Outcome != FileOK {
			return out[:i]
		}
		out[i] = c.downloadFile(ctx, f, opt, &buf)
	}
	return out
}

func (c *Client) downloadFile(ctx context.Context, f FileSpec, opt FilesOptions, buf *bytes.Buffer) FileResult {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DownloadTimeout)
	defer cancel()
	start := time.Now()
	r := FileResult{}
	if err := sleep(ctx, opt.Shape.RTT); err != nil {
		r.Outcome, r.Err = FileNetwork, err
		return r
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		r.Outcome, r.Err = FileStatus, fmt.Errorf("file %s: %w", f.URL, err)
		return r
	}
	ua := opt.UserAgent
	if ua == "" {
		ua = c.cfg.UserAgent
	}
	req.Header.Set("User-Agent", ua)
	resp, err := c.dhc.Do(req)
	if err != nil {
		r.Outcome, r.Err, r.Latency = FileNetwork, fmt.Errorf("file %s: %w", f.URL, err), time.Since(start)
		return r
	}
	defer resp.Body.Close()
	r.Status = resp.StatusCode
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		r.Outcome, r.Err, r.Latency = FileStatus, fmt.Errorf("file %s: status %d", f.URL, resp.StatusCode), time.Since(start)
		return r
	}
	buf.Reset()
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, maxFileBytes))
	r.Bytes, r.Latency = n, time.Since(start)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("%d of %d bytes", n, resp.ContentLength)
	}
	if err != nil {
		r.Outcome, r.Err = FileNetwork, fmt.Errorf("file %s: %w", f.URL, err)
		return r
	}
	if opt.Shape.BytesPerSec > 0 {
		if err := sleep(ctx, time.Duration(float64(n)/float64(opt.Shape.BytesPerSec)*float64(time.Second))-time.Since(start)); err != nil {
			r.Outcome, r.Err = FileNetwork, err
			return r
		}
	}
	key := f.URL + "|" + f.Hash
	if opt.Session != nil {
		key += fmt.Sprintf("|%x%x", opt.Session.Key, opt.Session.IV)
	}
	if ref, ok := c.verified.get(key); ok && bytes.Equal(ref, buf.Bytes()) {
		return r
	}
	r.Outcome = verifyFile(buf.Bytes(), f, opt.Session)
	if r.Outcome == FileOK {
		c.verified.put(key, bytes.Clone(buf.Bytes()))
	}
	return r
}

// verifyFile decodes one file's bytes and checks its hash.
func verifyFile(raw []byte, f FileSpec, sk *appbundle.SessionKey) uint8 {
	data := raw
	if sk != nil {
		plain, err := sk.Decrypt(raw)
		if err != nil {
			return FileDecrypt
		}
		data = plain
	}
	h := sha256.New()
	if f.Brotli {
		if err := appbundle.Decompress(h, bytes.NewReader(data)); err != nil {
			return FileBrotli
		}
	} else {
		h.Write(data)
	}
	if !checksumOK(h.Sum(nil), f.Hash) || f.Hash == "" {
		return FileChecksum
	}
	return FileOK
}
