package client

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/otasim/otasim/appbundle"
	"github.com/otasim/otasim/sim/results"
)

// Shaping imposes a device network profile on the real connection (runs
// at speed 1): a round trip before the request and a bandwidth cap on the
// reads. Zero values impose nothing.
type Shaping struct {
	RTT         time.Duration
	BytesPerSec int64
}

// DownloadOptions change how one download behaves.
type DownloadOptions struct {
	// CutAfter > 0 drops the connection after that many bytes, as a lost
	// network would: the download fails (the plugin's next attempt starts
	// over from the first byte).
	CutAfter int64
	Shape    Shaping
	// Deadline > 0 bounds the whole download (the iOS plugin's wait).
	Deadline time.Duration
	// UserAgent is the device's User-Agent (the client's default when "").
	UserAgent string
	// Session decrypts an encrypted bundle (AES-128-CBC) before its
	// checksum is checked: the checksum is then of the plain zip.
	Session *appbundle.SessionKey
}

// Download is the outcome of a bundle download.
type Download struct {
	Result
	// Bytes received in all (both parts of a resumed download).
	Bytes int64
	// TTFB is from Sent to the first byte of the body.
	TTFB time.Duration
	// Complete: the whole body arrived; ChecksumOK: its SHA-256 (of the
	// decrypted bytes with a session key) matched.
	Complete   bool
	ChecksumOK bool
	// DecryptFailed: with a session key, the bytes did not decrypt.
	DecryptFailed bool
	// Cut: the device's modelled network dropped the connection
	// (CutAfter); the failure is the device's, not the server's.
	Cut bool
}

// Download fetches url and checks the bytes as they arrive against
// checksum (SHA-256, hex). The first download of a bundle whose bytes
// match is hashed and a copy of it kept (bundles up to maxVerified
// bytes); later downloads of it are compared byte for byte with that
// copy, which is the same check (equal bytes have the same SHA-256, one
// differing byte fails it) at the cost of a memory compare instead of a
// hash.
func (c *Client) Download(ctx context.Context, url, checksum string, opt DownloadOptions) Download {
	timeout := c.cfg.DownloadTimeout
	if opt.Deadline > 0 {
		timeout = min(timeout, opt.Deadline)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// A download may last long, but not go silent for longer than the
	// response timeout (iOS sets the URLRequest's timeoutInterval, an
	// idle timeout, to responseTimeout for downloads too:
	// ios/Sources/CapacitorUpdaterPlugin/CapgoUpdater.swift:3277, commit
	// e235d092).
	ctx, stall := context.WithCancelCause(ctx)
	defer stall(nil)
	idle := time.AfterFunc(c.cfg.ResponseTimeout, func() { stall(errSilent) })
	defer idle.Stop()
	d := Download{Result: Result{RetryAfter: -1}}
	key := checksum
	if opt.Session != nil {
		key = fmt.Sprintf("enc|%s|%x%x", checksum, opt.Session.Key, opt.Session.IV)
	}
	h := c.verified.checker(key)
	if opt.Session != nil && h.ref == nil {
		// Keep the ciphertext to decrypt once it is in.
		h.want, h.capture = "", true
	}
	bp := c.read.Get().(*[]byte)
	defer c.read.Put(bp)
	d.Sent = time.Now()
	if err := sleep(ctx, opt.Shape.RTT); err != nil {
		d.Err, d.Done = err, time.Now()
		d.Outcome, d.Cause = downloadOutcome(&d, context.Cause(ctx))
		return d
	}
	limit := int64(-1)
	if opt.CutAfter > 0 {
		limit = opt.CutAfter
	}
	ua := opt.UserAgent
	if ua == "" {
		ua = c.cfg.UserAgent
	}
	n, status, complete, err := c.fetch(ctx, url, limit, h, *bp, &d, opt.Shape, ua, idle)
	d.Status, d.Bytes, d.Err = status, n, err
	switch {
	case err == nil && complete:
		d.Complete = true
	case err == nil:
		d.Cut = true
		d.Err = fmt.Errorf("download %s: connection lost after %d bytes", url, n)
	}
	d.Done = time.Now()
	if d.Complete {
		switch {
		case opt.Session != nil && h.ref == nil:
			d.ChecksumOK, d.DecryptFailed = decryptedOK(h, opt.Session, checksum)
		default:
			d.ChecksumOK = h.ok()
		}
		if d.ChecksumOK {
			c.verified.keepAs(key, h)
		}
	}
	d.Outcome, d.Cause = downloadOutcome(&d, context.Cause(ctx))
	return d
}

// decryptedOK decrypts a captured encrypted download and checks the plain
// bytes' SHA-256 (A/CapgoUpdater.java:842-850, I/CapgoUpdater.swift:2036,
// :2047).
func decryptedOK(h *checker, sk *appbundle.SessionKey, checksum string) (ok, decryptFailed bool) {
	if !h.capture || int64(len(h.kept)) != h.off {
		return false, false // too large to keep: counted as a checksum failure
	}
	plain, err := sk.Decrypt(h.kept)
	if err != nil {
		return false, true
	}
	sum := sha256.Sum256(plain)
	return checksumOK(sum[:], checksum) && checksum != "", false
}

// errSilent: no byte of a download for the response timeout.
var errSilent = errors.New("no byte within the response timeout")

// errIncomplete: the body ended before its Content-Length.
var errIncomplete = errors.New("the body ended early")

// downloadOutcome classifies a finished download; cause is its context's
// cause (errSilent when it went silent). A download the device's modelled
// network cut is classed as a network error, but Cut says it is the
// device's.
func downloadOutcome(d *Download, cause error) (results.Outcome, string) {
	switch {
	case d.Complete && d.ChecksumOK:
		return results.OutcomeSuccess, ""
	case d.Complete && d.DecryptFailed:
		return results.OutcomeProtocolError, CauseDecrypt
	case d.Complete:
		return results.OutcomeProtocolError, CauseChecksum
	case d.Cut:
		return results.OutcomeNetworkError, "device_network"
	case errors.Is(cause, errSilent):
		return results.OutcomeTimeout, CauseTimeout
	case d.Status != 0 && d.Status != http.StatusOK:
		return results.OutcomeHTTPError, HTTPCause(d.Status)
	case errors.Is(d.Err, errIncomplete):
		return results.OutcomeNetworkError, CauseClosed
	case d.Err != nil:
		return TransportOutcome(d.Err)
	}
	return results.OutcomeNetworkError, CauseIncomplete
}

// fetch reads url into h; limit ≥ 0 stops after that many bytes (a cut).
// It returns the bytes checked, the status, and whether the body ended.
func (c *Client) fetch(ctx context.Context, url string, limit int64, h *checker, buf []byte, d *Download, shape Shaping, ua string,
	idle *time.Timer) (int64, int, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, false, fmt.Errorf("download %s: %w", url, err)
	}
	req.Header.Set("User-Agent", ua)
	resp, err := c.dhc.Do(req)
	if err != nil {
		return 0, 0, false, fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return 0, resp.StatusCode, false, fmt.Errorf("download %s: status %d", url, resp.StatusCode)
	}
	var n int64
	start := time.Now()
	for {
		chunk := buf
		if limit >= 0 && int64(len(chunk)) > limit-n {
			chunk = chunk[:limit-n]
		}
		if len(chunk) == 0 {
			return n, resp.StatusCode, false, nil // cut
		}
		m, rerr := resp.Body.Read(chunk)
		if m > 0 {
			idle.Reset(c.cfg.ResponseTimeout)
			if d.TTFB == 0 {
				d.TTFB = time.Since(d.Sent)
			}
			h.Write(chunk[:m])
			n += int64(m)
			if shape.BytesPerSec > 0 {
				due := start.Add(time.Duration(float64(n) / float64(shape.BytesPerSec) * float64(time.Second)))
				if err := sleep(ctx, time.Until(due)); err != nil {
					return n, resp.StatusCode, false, err
				}
				idle.Reset(c.cfg.ResponseTimeout) // the device's own pace is not silence
			}
		}
		if rerr == io.EOF {
			if resp.ContentLength >= 0 && n != resp.ContentLength {
				return n, resp.StatusCode, false, fmt.Errorf("download %s: %w: %d of %d bytes", url, errIncomplete, n, resp.ContentLength)
			}
			return n, resp.StatusCode, true, nil
		}
		if rerr != nil {
			return n, resp.StatusCode, false, fmt.Errorf("download %s: %w", url, rerr)
		}
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
