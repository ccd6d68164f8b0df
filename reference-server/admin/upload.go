package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/bundlecheck"
	"github.com/otasim/otasim/reference-server/release"
)

// uploadBundle stores a zip uploaded as the body, once it passed every
// check of package bundlecheck: the bytes are read as a stream into a
// temporary file (refused at the first bytes when they are no zip, and
// past the size limit), then the whole archive is checked before the
// bundle is offered to any device.
func (a *API) uploadBundle(r *http.Request) (int, any, error) {
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	sp := BundleSpec{Name: r.PathValue("name"), MinNative: q.Get("min_native"), Link: q.Get("link"),
		Comment: q.Get("comment"), KeyID: q.Get("key_id"), SessionKey: q.Get("session_key"), Checksum: q.Get("checksum")}
	if err := joinSpecErrors(append(checkSpec(app, sp), checkEncryption(sp.SessionKey, sp.Checksum)...)); err != nil {
		return 0, nil, err
	}
	if sp.Name == protocol.Builtin {
		return 0, nil, badRequest(errors.New("the builtin bundle has no bytes: register it with POST .../bundles {\"name\":\"builtin\"}"))
	}
	lim := a.bundles
	if r.ContentLength > lim.MaxUpload {
		return 0, nil, uploadTooLarge(lim.MaxUpload)
	}
	tmp, err := a.st.TempBundlePath(app.ID)
	if err != nil {
		return 0, nil, err
	}
	defer os.Remove(tmp) // a no-op once the file is placed
	encrypted := sp.SessionKey != ""
	body := bundlecheck.Sized(r.Body, lim.MaxUpload)
	if !encrypted {
		body = bundlecheck.Upload(r.Body, lim.MaxUpload)
	}
	size, sha, err := writeUpload(tmp, body)
	if err == nil {
		err = a.checkZip(tmp, encrypted)
	}
	if err != nil {
		return 0, nil, refusal(err, lim)
	}
	b := &release.Bundle{AppID: app.ID, Name: sp.Name, MinNative: sp.MinNative, Size: size, SHA256: sha,
		Link: sp.Link, Comment: sp.Comment, KeyID: sp.KeyID, SessionKey: sp.SessionKey, Checksum: sp.Checksum}
	if b.Path, err = a.st.PlaceBundle(tmp, app.ID, sha); err != nil {
		return 0, nil, err
	}
	if err := a.addBundle(r.Context(), b); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.bundleJSON(app, b, nil), nil
}

func writeUpload(path string, body io.Reader) (int64, string, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, "", fmt.Errorf("upload: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), body)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("upload: %w", cerr)
	}
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// checkZip checks a bundle's zip with every rule of package bundlecheck;
// an encrypted one (AES-CBC of the zip, which the server cannot open) can
// only be checked for its size: whole AES blocks.
func (a *API) checkZip(path string, encrypted bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	if encrypted {
		if fi.Size() == 0 || fi.Size()%16 != 0 {
			return badRequest(fmt.Errorf("an encrypted bundle is whole AES blocks; this one has %d bytes", fi.Size()))
		}
		return nil
	}
	return bundlecheck.CheckZip(f, fi.Size(), a.bundles)
}

// refusal is the reply to an upload that failed: 413 over the size limit,
// a 400 naming the rule the bundle breaks, a 400 for a body that could not
// be read, or the error itself (a 500) when the disk failed.
func refusal(err error, lim bundlecheck.Limits) error {
	var rf *bundlecheck.Refusal
	switch {
	case errors.As(err, &rf) && rf.Rule == bundlecheck.RuleTooLarge:
		return uploadTooLarge(lim.MaxUpload)
	case errors.As(err, &rf):
		return &apiError{http.StatusBadRequest, string(rf.Rule), rf.Detail}
	case isAPIError(err):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF) || isReadError(err):
		return &apiError{http.StatusBadRequest, codeInvalidRequest, "cannot read the upload: " + err.Error()}
	}
	return err
}

func isAPIError(err error) bool {
	var ae *apiError
	return errors.As(err, &ae)
}

// isReadError tells a failure to read the request body (the client went
// away, or its body broke off) from a failure to write the disk.
func isReadError(err error) bool {
	var pe *os.PathError
	return !errors.As(err, &pe)
}

func uploadTooLarge(max int64) *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, "the bundle is over " + strconv.FormatInt(max, 10) + " bytes"}
}
