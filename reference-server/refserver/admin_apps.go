package refserver

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/bundlezip"
	"github.com/otasim/otasim/reference-server/release"
)

// Bounds of a generated bundle (those of a scenario's bundle sizes).
const (
	minBundleSize = 1 << 10
	maxBundleSize = bundlezip.MaxSize
)

type appJSON struct {
	AppID     string    `json:"app_id"`
	CreatedAt time.Time `json:"created_at"`
}

type bundleJSON struct {
	AppID     string      `json:"app_id"`
	Name      string      `json:"name"`
	Size      int64       `json:"size"`
	SHA256    string      `json:"sha256"`
	MinNative string      `json:"min_native"`
	CreatedAt time.Time   `json:"created_at"`
	URL       string      `json:"url"`
	Stats     BundleStats `json:"stats"`
}

// appOf returns the app named in the path of the state in force.
func (s *Server) appOf(r *http.Request) (*release.App, error) {
	id := r.PathValue("app")
	a := s.snapshot().Apps[id]
	if a == nil {
		return nil, notFound("app %q not found", id)
	}
	return a, nil
}

func (s *Server) adminCreateApp(r *http.Request) (int, any, error) {
	var req struct {
		AppID string `json:"app_id"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	a, err := s.createApp(r.Context(), req.AppID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, appJSON{a.ID, a.CreatedAt}, nil
}

// createApp registers an app.
func (s *Server) createApp(ctx context.Context, id string) (*release.App, error) {
	if !release.ValidAppID(id) {
		return nil, badRequest(fmt.Errorf("app_id %.140q must be a reverse-domain id (letters, digits, _ - . with a dot, at most %d characters)",
			id, release.MaxAppIDLen))
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	snap := s.snapshot().Clone()
	if snap.Apps[id] != nil {
		return nil, conflict("app %q exists", id)
	}
	a := &release.App{ID: id, CreatedAt: s.nowMS(), Bundles: map[string]*release.Bundle{}}
	if err := s.st.CreateApp(ctx, a); err != nil {
		return nil, err
	}
	snap.Apps[id] = a
	s.publishLocked(snap)
	return a, nil
}

func (s *Server) adminListApps(*http.Request) (int, any, error) {
	out := []appJSON{}
	for _, a := range s.snapshot().Apps {
		out = append(out, appJSON{a.ID, a.CreatedAt})
	}
	slices.SortFunc(out, func(a, b appJSON) int { return cmpString(a.AppID, b.AppID) })
	return http.StatusOK, out, nil
}

func (s *Server) adminGetApp(r *http.Request) (int, any, error) {
	a, err := s.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, appJSON{a.ID, a.CreatedAt}, nil
}

func (s *Server) bundleJSON(a *release.App, b *release.Bundle, active map[string]int) bundleJSON {
	st := s.tally.bundleStats(a.ID, b.Name)
	st.ActiveDevices = active[b.Name]
	return bundleJSON{AppID: a.ID, Name: b.Name, Size: b.Size, SHA256: b.SHA256, MinNative: b.MinNative,
		CreatedAt: b.CreatedAt, URL: b.URL, Stats: st}
}

func (s *Server) adminListBundles(r *http.Request) (int, any, error) {
	a, err := s.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	active := s.tally.active(a.ID, s.now())
	out := []bundleJSON{}
	for _, b := range a.Bundles {
		out = append(out, s.bundleJSON(a, b, active))
	}
	slices.SortFunc(out, func(x, y bundleJSON) int { return compareBundleNames(x.Name, y.Name) })
	return http.StatusOK, out, nil
}

func (s *Server) bundleOf(r *http.Request) (*release.App, *release.Bundle, error) {
	a, err := s.appOf(r)
	if err != nil {
		return nil, nil, err
	}
	b := a.Bundles[r.PathValue("name")]
	if b == nil {
		return nil, nil, notFound("bundle %q not found in %s", r.PathValue("name"), a.ID)
	}
	return a, b, nil
}

func (s *Server) adminGetBundle(r *http.Request) (int, any, error) {
	a, b, err := s.bundleOf(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.bundleJSON(a, b, s.tally.active(a.ID, s.now())), nil
}

func (s *Server) adminBundleStats(r *http.Request) (int, any, error) {
	a, b, err := s.bundleOf(r)
	if err != nil {
		return 0, nil, err
	}
	st := s.tally.bundleStats(a.ID, b.Name)
	st.ActiveDevices = s.tally.active(a.ID, s.now())[b.Name]
	return http.StatusOK, st, nil
}

func (s *Server) adminGenerateBundle(r *http.Request) (int, any, error) {
	a, err := s.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	var req struct {
		Name      string `json:"name"`
		Size      int64  `json:"size"`
		MinNative string `json:"min_native"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	b, err := s.generateBundle(r.Context(), a.ID, req.Name, req.Size, req.MinNative)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, s.bundleJSON(a, b, nil), nil
}

func checkBundleSpec(a *release.App, name, minNative string) []error {
	var errs []error
	if !release.ValidBundleName(name) {
		errs = append(errs, fmt.Errorf("name %.80q must be a semantic version (1.2.3) or builtin", name))
	}
	if minNative != "" {
		if _, ok := release.CoerceVersion(minNative); !ok {
			errs = append(errs, fmt.Errorf("min_native %.80q is not a version", minNative))
		}
	}
	if a.Bundles[name] != nil {
		errs = append(errs, conflict("bundle %q exists in %s (bundles are immutable)", name, a.ID))
	}
	return errs
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

// generateBundle builds a real zip of size bytes for a new bundle; a
// bundle named builtin has no bytes.
func (s *Server) generateBundle(ctx context.Context, appID, name string, size int64, minNative string) (*release.Bundle, error) {
	a := s.snapshot().Apps[appID]
	if a == nil {
		return nil, notFound("app %q not found", appID)
	}
	errs := checkBundleSpec(a, name, minNative)
	if name != protocol.Builtin {
		if lo := max(int64(minBundleSize), bundlezip.MinSize()); size < lo || size > maxBundleSize {
			errs = append(errs, fmt.Errorf("size %d must be between %d and %d bytes", size, lo, int64(maxBundleSize)))
		}
	}
	if err := joinSpecErrors(errs); err != nil {
		return nil, err
	}
	b := &release.Bundle{AppID: appID, Name: name, MinNative: minNative}
	if name != protocol.Builtin {
		tmp, err := s.tempBundlePath(appID)
		if err != nil {
			return nil, err
		}
		sha, err := bundlezip.WriteFile(tmp, size, appID+"/"+name)
		if err != nil {
			os.Remove(tmp)
			return nil, fmt.Errorf("generate bundle: %w", err)
		}
		if b.Path, err = s.placeBundle(tmp, appID, sha); err != nil {
			return nil, err
		}
		b.Size, b.SHA256 = size, sha
	}
	return b, s.addBundle(ctx, b)
}

func (s *Server) adminUploadBundle(r *http.Request) (int, any, error) {
	a, err := s.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	name, minNative := r.PathValue("name"), r.URL.Query().Get("min_native")
	if err := joinSpecErrors(checkBundleSpec(a, name, minNative)); err != nil {
		return 0, nil, err
	}
	if name == protocol.Builtin {
		return 0, nil, badRequest(errors.New("the builtin bundle has no bytes: register it with POST .../bundles {\"name\":\"builtin\"}"))
	}
	if r.ContentLength > MaxUploadBody {
		return 0, nil, &apiError{http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, "bundle over 512 MiB"}
	}
	tmp, err := s.tempBundlePath(a.ID)
	if err != nil {
		return 0, nil, err
	}
	size, sha, err := writeUpload(tmp, http.MaxBytesReader(nil, r.Body, MaxUploadBody))
	if err != nil {
		os.Remove(tmp)
		return 0, nil, err
	}
	if zr, zerr := zip.OpenReader(tmp); zerr != nil {
		os.Remove(tmp)
		return 0, nil, badRequest(fmt.Errorf("body is not a zip archive: %v", zerr))
	} else {
		zr.Close()
	}
	b := &release.Bundle{AppID: a.ID, Name: name, MinNative: minNative, Size: size, SHA256: sha}
	if b.Path, err = s.placeBundle(tmp, a.ID, sha); err != nil {
		return 0, nil, err
	}
	if err := s.addBundle(r.Context(), b); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, s.bundleJSON(a, b, nil), nil
}

func writeUpload(path string, body io.Reader) (int64, string, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, "", fmt.Errorf("upload: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return 0, "", &apiError{http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, "bundle over 512 MiB"}
		}
		return 0, "", &apiError{http.StatusBadRequest, codeInvalidRequest, "cannot read the upload: " + err.Error()}
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// tempBundlePath returns a fresh temporary file name in the app's bundle
// folder (app ids are validated, so the folder stays inside the store's).
func (s *Server) tempBundlePath(appID string) (string, error) {
	dir := s.st.BundleDir(appID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("bundle folder: %w", err)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	return filepath.Join(dir, "tmp-"+hex.EncodeToString(rnd[:])+".zip"), nil
}

// placeBundle moves a finished file to its content-addressed name.
func (s *Server) placeBundle(tmp, appID, sha string) (string, error) {
	final := filepath.Join(s.st.BundleDir(appID), sha+".zip")
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("place bundle: %w", err)
	}
	return final, nil
}

// addBundle persists a bundle and publishes it.
func (s *Server) addBundle(ctx context.Context, b *release.Bundle) error {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	snap := s.snapshot().Clone()
	a := snap.Apps[b.AppID]
	if a == nil {
		return notFound("app %q not found", b.AppID)
	}
	if a.Bundles[b.Name] != nil {
		return conflict("bundle %q exists in %s", b.Name, b.AppID)
	}
	b.CreatedAt = s.nowMS()
	if err := s.st.CreateBundle(ctx, b); err != nil {
		return err
	}
	a.Bundles[b.Name] = b
	s.publishLocked(snap)
	return nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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
	return cmpString(a, b)
}
