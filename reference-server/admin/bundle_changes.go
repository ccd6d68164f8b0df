package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/release"
)

// patchBundle changes a bundle's metadata (its bytes are immutable).
func (a *API) patchBundle(r *http.Request) (int, any, error) {
	var req struct {
		Link    *string `json:"link"`
		Comment *string `json:"comment"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	if (req.Link != nil && len(*req.Link) > maxTextLen) || (req.Comment != nil && len(*req.Comment) > maxTextLen) {
		return 0, nil, badRequest(fmt.Errorf("link and comment have at most %d bytes", maxTextLen))
	}
	return a.changeBundle(r, func(_ *live.Tx, _ *release.App, b *release.Bundle) error {
		if req.Link != nil {
			b.Link = *req.Link
		}
		if req.Comment != nil {
			b.Comment = *req.Comment
		}
		return nil
	})
}

// deleteBundle deletes a bundle as the backend does: its row stays (the
// name is not reused) marked deleted, its file goes. Channels and
// overrides still pointing at it resolve as the backend resolves them
// (docs/admin-api.md).
func (a *API) deleteBundle(r *http.Request) (int, any, error) {
	return a.changeBundle(r, func(tx *live.Tx, app *release.App, b *release.Bundle) error {
		switch {
		case b.Name == protocol.Builtin:
			return badRequest(errors.New("the builtin bundle cannot be deleted: it is the one inside the app"))
		case b.Deleted:
			return conflict("bundle %q is already deleted", b.Name)
		}
		b.Deleted = true
		if p := b.Path; p != "" {
			b.Path = ""
			if !sharesFile(app, p) {
				tx.RemoveFile(p)
			}
		}
		return nil
	})
}

// sharesFile reports whether a bundle of the app holds the file at path
// (files are named after their checksum, so equal bundles share one).
func sharesFile(app *release.App, path string) bool {
	for _, b := range app.Bundles {
		if b.Path == path {
			return true
		}
	}
	return false
}

// changeBundle applies f to a copy of the bundle named in the path and
// persists it.
func (a *API) changeBundle(r *http.Request, f func(tx *live.Tx, app *release.App, b *release.Bundle) error) (int, any, error) {
	var app *release.App
	var b *release.Bundle
	err := a.st.Update(r.Context(), func(tx *live.Tx) error {
		if app = tx.Snap.Apps[r.PathValue("app")]; app == nil {
			return notFound("app %q not found", r.PathValue("app"))
		}
		if b = app.Bundles[r.PathValue("name")]; b == nil {
			return notFound("bundle %q not found in %s", r.PathValue("name"), app.ID)
		}
		if err := f(tx, app, b); err != nil {
			return err
		}
		tx.Bundle(b)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.bundleJSON(app, b, a.st.Active(app.ID)), nil
}
