package admin

import (
	"errors"
	"net/http"
	"os"

	"github.com/otasim/otasim/reference-server/bundlecheck"
	"github.com/otasim/otasim/reference-server/cdn"
)

// fileJSON is a stored manifest file.
type fileJSON struct {
	Object string `json:"object"`
	Size   int64  `json:"size"`
}

// putFile stores the body as a manifest file under its SHA-256, which the
// path names: PUT /admin/apps/{app}/files/{object}. The same bytes are
// stored once (200 when they already were, 201 else), as the Capgo CLI
// skips files the storage already holds (C/src/bundle/partial.ts:288).
func (a *API) putFile(r *http.Request) (int, any, error) {
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	object := r.PathValue("object")
	if !cdn.IsObject(object) {
		return 0, nil, badRequest(errors.New("the path names a file by the SHA-256 of its bytes: 64 lower-case hex digits"))
	}
	if size, ok := a.st.ObjectSize(app.ID, object); ok {
		return http.StatusOK, fileJSON{Object: object, Size: size}, nil
	}
	if r.ContentLength > a.bundles.MaxUpload {
		return 0, nil, uploadTooLarge(a.bundles.MaxUpload)
	}
	tmp, err := a.st.TempBundlePath(app.ID)
	if err != nil {
		return 0, nil, err
	}
	size, sha, err := writeUpload(tmp, bundlecheck.Sized(r.Body, a.bundles.MaxUpload))
	if err != nil {
		os.Remove(tmp)
		return 0, nil, refusal(err, a.bundles)
	}
	if sha != object {
		os.Remove(tmp)
		return 0, nil, badRequest(errors.New("the body's SHA-256 is " + sha + ", not the path's " + object))
	}
	if err := a.st.PlaceObject(tmp, app.ID, object); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, fileJSON{Object: object, Size: size}, nil
}

// getFile tells whether a file is stored: GET (or HEAD)
// /admin/apps/{app}/files/{object}.
func (a *API) getFile(r *http.Request) (int, any, error) {
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	object := r.PathValue("object")
	size, ok := a.st.ObjectSize(app.ID, object)
	if !cdn.IsObject(object) || !ok {
		return 0, nil, notFound("no file %.80q in %s", object, app.ID)
	}
	return http.StatusOK, fileJSON{Object: object, Size: size}, nil
}
