package admin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/otasim/otasim/appbundle"
)

// StoreFile stores bytes on the server under their SHA-256 (PUT
// /admin/apps/{app}/files/{sha256}); bytes already stored are not sent
// again.
func (c *Client) StoreFile(ctx context.Context, appID string, data []byte) error {
	path := "/admin/apps/" + esc(appID) + "/files/" + appbundle.SHA256Hex(data)
	if c.call(ctx, http.MethodGet, path, nil, nil) == nil {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.base+path, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("admin: PUT %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin: PUT %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("admin: PUT %s: %d %s", path, resp.StatusCode, truncate(string(raw), 200))
	}
	return nil
}

// UploadBundle stores a built bundle's zip and files and creates it; an
// existing one is read back instead.
func (c *Client) UploadBundle(ctx context.Context, appID, name, minNative string, b *appbundle.Built) (Bundle, error) {
	if err := c.StoreFile(ctx, appID, b.Zip); err != nil {
		return Bundle{}, err
	}
	for i := range b.Manifest {
		if err := c.StoreFile(ctx, appID, b.Manifest[i].Data); err != nil {
			return Bundle{}, err
		}
	}
	body := struct {
		appbundle.Upload
		MinNative string `json:"min_native,omitempty"`
	}{b.Upload(name), minNative}
	var out Bundle
	err := c.call(ctx, http.MethodPost, "/admin/apps/"+esc(appID)+"/bundles", body, &out)
	if IsStatus(err, http.StatusConflict) {
		err = c.call(ctx, http.MethodGet, "/admin/apps/"+esc(appID)+"/bundles/"+esc(name), nil, &out)
	}
	return out, err
}
