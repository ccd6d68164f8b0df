package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/bundlezip"
	"github.com/otasim/otasim/reference-server/cdn"
	"github.com/otasim/otasim/reference-server/live"
	"github.com/otasim/otasim/reference-server/release"
)

// Bounds of a generated bundle (those of a scenario's bundle sizes) and of
// a bundle's texts.
const (
	minBundleSize = 1 << 10
	maxBundleSize = bundlezip.MaxSize
	maxURLLen     = 2048
	maxTextLen    = 4096
	maxKeyIDLen   = protocol.MaxKeyIDLen
)

type bundleJSON struct {
	AppID       string `json:"app_id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	MinNative   string `json:"min_native"`
	ExternalURL string `json:"external_url,omitempty"`
	Link        string `json:"link,omitempty"`
	Comment     string `json:"comment,omitempty"`
	KeyID       string `json:"key_id,omitempty"`
	SessionKey  string `json:"session_key,omitempty"`
	Checksum    string `json:"checksum,omitempty"`
	// ManifestFiles and ManifestBytes describe a per-file bundle.
	ManifestFiles int              `json:"manifest_files,omitempty"`
	ManifestBytes int64            `json:"manifest_bytes,omitempty"`
	Deleted       bool             `json:"deleted"`
	CreatedAt     time.Time        `json:"created_at"`
	URL           string           `json:"url"`
	Stats         live.BundleStats `json:"stats"`
}

func (a *API) bundleJSON(app *release.App, b *release.Bundle, active map[string]int) bundleJSON {
	var mb int64
	for _, f := range b.Manifest {
		mb += f.Size
	}
	return bundleJSON{AppID: app.ID, Name: b.Name, Size: b.Size, SHA256: b.SHA256, MinNative: b.MinNative,
		ExternalURL: b.ExternalURL, Link: b.Link, Comment: b.Comment, KeyID: b.KeyID, SessionKey: b.SessionKey,
		Checksum: b.Checksum, ManifestFiles: len(b.Manifest), ManifestBytes: mb, Deleted: b.Deleted,
		CreatedAt: b.CreatedAt, URL: b.URL, Stats: a.st.BundleStatsWith(app.ID, b.Name, active)}
}

func (a *API) listBundles(r *http.Request) (int, any, error) {
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	active := a.st.Active(app.ID)
	out := []bundleJSON{}
	for _, b := range app.Bundles {
		out = append(out, a.bundleJSON(app, b, active))
	}
	slices.SortFunc(out, func(x, y bundleJSON) int { return compareBundleNames(x.Name, y.Name) })
	return http.StatusOK, out, nil
}

func (a *API) bundleOf(r *http.Request) (*release.App, *release.Bundle, error) {
	app, err := a.appOf(r)
	if err != nil {
		return nil, nil, err
	}
	b := app.Bundles[r.PathValue("name")]
	if b == nil {
		return nil, nil, notFound("bundle %q not found in %s", r.PathValue("name"), app.ID)
	}
	return app, b, nil
}

func (a *API) getBundle(r *http.Request) (int, any, error) {
	app, b, err := a.bundleOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.bundleJSON(app, b, a.st.Active(app.ID)), nil
}

func (a *API) bundleStats(r *http.Request) (int, any, error) {
	app, b, err := a.bundleOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.st.BundleStats(app.ID, b.Name), nil
}

// BundleSpec is a bundle to create. Exactly one of Size (generate a zip of
// that many bytes), Zip (a stored file holding the zip), ExternalURL
// (devices download it there) and NoBytes (the bundle has no bytes at
// all) is set, except for builtin, which needs none, and for a per-file
// bundle (Manifest), which may have a zip (Size or Zip) or none.
type BundleSpec struct {
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	Zip         string `json:"zip"`
	ExternalURL string `json:"external_url"`
	NoBytes     bool   `json:"no_bytes"`
	// Manifest lists the files of a per-file bundle, each a stored file
	// (PUT .../files/{object}).
	Manifest []ManifestSpec `json:"manifest"`
	// SessionKey and Checksum come with an encrypted bundle, as the Capgo
	// CLI makes them: the session_key devices get and the encrypted
	// checksum of the plain zip ("" sends devices "checksum":null).
	SessionKey string `json:"session_key"`
	Checksum   string `json:"checksum"`
	// SHA256 is the checksum of an external bundle (optional; devices get
	// "checksum":null without one).
	SHA256    string `json:"sha256"`
	MinNative string `json:"min_native"`
	Link      string `json:"link"`
	Comment   string `json:"comment"`
	KeyID     string `json:"key_id"`
}

func (a *API) createBundle(r *http.Request) (int, any, error) {
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	var sp BundleSpec
	if err := decodeStrictLimit(r, &sp, MaxManifestBody); err != nil {
		return 0, nil, err
	}
	b, err := a.CreateBundle(r.Context(), app.ID, sp)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.bundleJSON(app, b, nil), nil
}

// checkSpec reports every problem of the metadata of a new bundle.
func checkSpec(app *release.App, sp BundleSpec) []error {
	var errs []error
	switch {
	case sp.Name == release.Unknown:
		errs = append(errs, errors.New("name unknown is the backend's placeholder for a bundle a device cannot tell"))
	case !release.ValidBundleName(sp.Name):
		errs = append(errs, fmt.Errorf("name %.80q must be a semantic version (1.2.3) or builtin", sp.Name))
	}
	if sp.MinNative != "" {
		if _, ok := release.ParseSemver(sp.MinNative); !ok {
			errs = append(errs, fmt.Errorf("min_native %.80q is not a semantic version (1.2.3)", sp.MinNative))
		}
	}
	if len(sp.Link) > maxTextLen || len(sp.Comment) > maxTextLen {
		errs = append(errs, fmt.Errorf("link and comment have at most %d bytes", maxTextLen))
	}
	if release.UTF16Len(sp.KeyID) > maxKeyIDLen {
		errs = append(errs, fmt.Errorf("key_id has at most %d characters, as the one devices send", maxKeyIDLen))
	}
	if app.Bundles[sp.Name] != nil {
		errs = append(errs, conflict("bundle %q exists in %s (bundles are immutable; a deleted name is not reused)", sp.Name, app.ID))
	}
	return errs
}

// checkSource reports the problems of where a new bundle's bytes come from.
func checkSource(sp BundleSpec) []error {
	sources := 0
	for _, set := range []bool{sp.Size != 0, sp.Zip != "", sp.ExternalURL != "", sp.NoBytes} {
		if set {
			sources++
		}
	}
	var errs []error
	switch {
	case sp.Name == protocol.Builtin:
		if sources > 0 || len(sp.Manifest) > 0 || sp.SessionKey != "" {
			errs = append(errs, errors.New("the builtin bundle has no bytes: give only its name"))
		}
	case len(sp.Manifest) > 0 && (sp.ExternalURL != "" || sp.NoBytes):
		// C/src/bundle/upload.ts:1282: no delta with an external URL; the
		// backend never sends one's manifest (utils/update.ts:655).
		errs = append(errs, errors.New("a manifest goes with a zip here (size or zip) or none, not external_url or no_bytes"))
	case sources > 1 || sources == 0 && len(sp.Manifest) == 0:
		errs = append(errs, errors.New(`give exactly one of size (a zip is generated), zip (a stored file), external_url or "no_bytes": true, or a manifest`))
	case sp.Zip != "" && !cdn.IsObject(sp.Zip):
		errs = append(errs, fmt.Errorf("zip %.80q must name a stored file by its SHA-256", sp.Zip))
	case sp.Size != 0:
		if lo := max(int64(minBundleSize), bundlezip.MinSize()); sp.Size < lo || sp.Size > maxBundleSize {
			errs = append(errs, fmt.Errorf("size %d must be between %d and %d bytes", sp.Size, lo, int64(maxBundleSize)))
		}
	case sp.ExternalURL != "":
		if u, err := url.Parse(sp.ExternalURL); err != nil || u.Scheme == "" || len(sp.ExternalURL) > maxURLLen {
			errs = append(errs, fmt.Errorf("external_url %.80q must be an absolute URL of at most %d bytes", sp.ExternalURL, maxURLLen))
		}
	}
	if sp.SHA256 != "" && (sp.ExternalURL == "" || !isHex(sp.SHA256) || len(sp.SHA256) > 128) {
		errs = append(errs, errors.New("sha256 is the hex checksum of an external bundle (the server computes the others)"))
	}
	return append(errs, checkEncryption(sp.SessionKey, sp.Checksum)...)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// joinSpecErrors turns validation problems into one reply: a conflict if
// it is the only problem, else a 400 listing all.
func joinSpecErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	var ae *apiError
	if len(errs) == 1 && errors.As(errs[0], &ae) {
		return ae
	}
	return badRequest(errors.Join(errs...))
}

// CreateBundle creates a bundle from a spec; with Size it builds a real
// zip of that many bytes.
func (a *API) CreateBundle(ctx context.Context, appID string, sp BundleSpec) (*release.Bundle, error) {
	app := a.st.Snapshot().Apps[appID]
	if app == nil {
		return nil, notFound("app %q not found", appID)
	}
	if err := joinSpecErrors(append(checkSpec(app, sp), checkSource(sp)...)); err != nil {
		return nil, err
	}
	b := &release.Bundle{AppID: appID, Name: sp.Name, MinNative: sp.MinNative, ExternalURL: sp.ExternalURL,
		SHA256: sp.SHA256, Link: sp.Link, Comment: sp.Comment, KeyID: sp.KeyID,
		SessionKey: sp.SessionKey, Checksum: sp.Checksum}
	var err error
	if b.Manifest, err = a.checkManifest(appID, sp.Manifest, sp.SessionKey != ""); err != nil {
		return nil, err
	}
	if sp.Zip != "" {
		if err := a.placeZipObject(b, sp.Zip); err != nil {
			return nil, err
		}
	}
	if sp.Size != 0 {
		tmp, err := a.st.TempBundlePath(appID)
		if err != nil {
			return nil, err
		}
		sha, err := bundlezip.WriteFile(tmp, sp.Size, appID+"/"+sp.Name)
		if err != nil {
			os.Remove(tmp)
			return nil, fmt.Errorf("generate bundle: %w", err)
		}
		if b.Path, err = a.st.PlaceBundle(tmp, appID, sha); err != nil {
			return nil, err
		}
		b.Size, b.SHA256 = sp.Size, sha
	}
	return b, a.addBundle(ctx, b)
}

// addBundle persists a bundle and publishes it.
func (a *API) addBundle(ctx context.Context, b *release.Bundle) error {
	return a.st.Update(ctx, func(tx *live.Tx) error {
		app := tx.Snap.Apps[b.AppID]
		if app == nil {
			return notFound("app %q not found", b.AppID)
		}
		if app.Bundles[b.Name] != nil {
			return conflict("bundle %q exists in %s", b.Name, b.AppID)
		}
		b.CreatedAt = tx.Now
		app.Bundles[b.Name] = b
		tx.NewBundle(b)
		return nil
	})
}

// compareBundleNames orders bundles by version, builtin first.
func compareBundleNames(a, b string) int {
	va, oka := release.ParseVersion(a)
	vb, okb := release.ParseVersion(b)
	switch {
	case oka && okb:
		return va.Compare(vb)
	case oka:
		return 1
	case okb:
		return -1
	}
	return cmp.Compare(a, b)
}
