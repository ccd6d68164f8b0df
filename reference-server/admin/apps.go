package admin

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/release"
)

type appJSON struct {
	AppID          string    `json:"app_id"`
	ExposeMetadata bool      `json:"expose_metadata"`
	CreatedAt      time.Time `json:"created_at"`
}

func toAppJSON(a *release.App) appJSON { return appJSON{a.ID, a.ExposeMetadata, a.CreatedAt} }

// appOf returns the app named in the path of the state in force.
func (a *API) appOf(r *http.Request) (*release.App, error) {
	id := r.PathValue("app")
	app := a.st.Snapshot().Apps[id]
	if app == nil {
		return nil, notFound("app %q not found", id)
	}
	return app, nil
}

func (a *API) createApp(r *http.Request) (int, any, error) {
	var req struct {
		AppID          string `json:"app_id"`
		ExposeMetadata bool   `json:"expose_metadata"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	app, err := a.CreateApp(r.Context(), req.AppID, req.ExposeMetadata)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, toAppJSON(app), nil
}

// CreateApp registers an app.
func (a *API) CreateApp(ctx context.Context, id string, exposeMetadata bool) (*release.App, error) {
	if !release.ValidAppID(id) {
		return nil, badRequest(fmt.Errorf("app_id %.140q must be a reverse-domain id as the backend accepts it "+
			"(letters and digits, then labels of letters, digits, _ and -, at most %d characters)", id, release.MaxAppIDLen))
	}
	var app *release.App
	err := a.st.Update(ctx, func(tx *live.Tx) error {
		if tx.Snap.Apps[id] != nil {
			return conflict("app %q exists", id)
		}
		app = &release.App{ID: id, CreatedAt: tx.Now, ExposeMetadata: exposeMetadata, Bundles: map[string]*release.Bundle{}}
		tx.Snap.Apps[id] = app
		tx.NewApp(app)
		return nil
	})
	return app, err
}

func (a *API) patchApp(r *http.Request) (int, any, error) {
	var req struct {
		ExposeMetadata *bool `json:"expose_metadata"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	var out appJSON
	err := a.st.Update(r.Context(), func(tx *live.Tx) error {
		app := tx.Snap.Apps[r.PathValue("app")]
		if app == nil {
			return notFound("app %q not found", r.PathValue("app"))
		}
		if req.ExposeMetadata != nil && *req.ExposeMetadata != app.ExposeMetadata {
			app.ExposeMetadata = *req.ExposeMetadata
			tx.App(app)
		}
		out = toAppJSON(app)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (a *API) listApps(*http.Request) (int, any, error) {
	out := []appJSON{}
	for _, app := range a.st.Snapshot().Apps {
		out = append(out, toAppJSON(app))
	}
	slices.SortFunc(out, func(x, y appJSON) int { return cmp.Compare(x.AppID, y.AppID) })
	return http.StatusOK, out, nil
}

func (a *API) getApp(r *http.Request) (int, any, error) {
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, toAppJSON(app), nil
}
