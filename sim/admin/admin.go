// Package admin is a client of the reference server's admin API
// (docs/admin-api.md): it sets up the app, bundles and channels of a
// scenario and carries out the timeline's actions, and reads back channel
// history and per-bundle counts.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls the admin API of one server.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// New returns a client of the admin API at base (e.g.
// "http://127.0.0.1:8080"), authenticated with token.
func New(base, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("admin: URL %q is not an http(s) URL", base)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, hc: hc}, nil
}

// APIError is an error reply of the admin API.
type APIError struct {
	Status  int
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("admin API: %d %s: %s", e.Status, e.Code, e.Message)
}

// IsStatus reports whether err is an APIError with that status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// call sends a JSON body (nil: none) and decodes a 2xx JSON reply into out
// (nil: discard).
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("admin: %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("admin: %s %s: read reply: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(b, ae) != nil || ae.Code == "" {
			ae.Code, ae.Message = "unexpected_reply", truncate(string(b), 200)
		}
		return fmt.Errorf("%s %s: %w", method, path, ae)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("admin: %s %s: invalid reply: %w", method, path, err)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func esc(s string) string { return url.PathEscape(s) }

// Bundle is a bundle as the admin API describes it.
type Bundle struct {
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	MinNative string `json:"min_native"`
	URL       string `json:"url"`
}

// Counts are a bundle's installs and failures as the server counted them.
type Counts struct {
	Installs      int64            `json:"installs"`
	Uninstalls    int64            `json:"uninstalls"`
	Failures      map[string]int64 `json:"failures"`
	FailuresTotal int64            `json:"failures_total"`
	ActiveDevices int64            `json:"active_devices"`
}

// HistoryEvent is one entry of a channel's history.
type HistoryEvent struct {
	At        time.Time `json:"at"`
	Event     string    `json:"event"`
	Bundle    string    `json:"bundle"`
	PercentBP int       `json:"percent_bp"`
	Reason    string    `json:"reason"`
}

// Channel is the part of a channel the simulator reads.
type Channel struct {
	Name           string   `json:"name"`
	Bundle         string   `json:"bundle"`
	PreviousBundle string   `json:"previous_bundle"`
	Public         bool     `json:"public"`
	AllowSelfSet   bool     `json:"allow_self_set"`
	Rollout        *Rollout `json:"rollout"`
}

// Rollout is a channel's rollout in progress.
type Rollout struct {
	ID        int64  `json:"id"`
	Bundle    string `json:"bundle"`
	PercentBP int    `json:"percent_bp"`
	State     string `json:"state"`
}

// Health checks GET /healthz (no token).
func (c *Client) Health(ctx context.Context) error {
	return c.call(ctx, http.MethodGet, "/healthz", nil, nil)
}

// CreateApp creates the app; an existing one is fine.
func (c *Client) CreateApp(ctx context.Context, appID string) error {
	err := c.call(ctx, http.MethodPost, "/admin/apps", map[string]string{"app_id": appID}, nil)
	if IsStatus(err, http.StatusConflict) {
		return nil
	}
	return err
}

// CreateBundle generates a bundle of size bytes (size 0: the builtin
// marker); an existing one is read back instead.
func (c *Client) CreateBundle(ctx context.Context, appID, name string, size int64, minNative string) (Bundle, error) {
	body := map[string]any{"name": name}
	if size > 0 {
		body["size"] = size
	}
	if minNative != "" {
		body["min_native"] = minNative
	}
	var b Bundle
	err := c.call(ctx, http.MethodPost, "/admin/apps/"+esc(appID)+"/bundles", body, &b)
	if IsStatus(err, http.StatusConflict) {
		err = c.call(ctx, http.MethodGet, "/admin/apps/"+esc(appID)+"/bundles/"+esc(name), nil, &b)
	}
	return b, err
}

// BundleCounts reads a bundle's counts.
func (c *Client) BundleCounts(ctx context.Context, appID, name string) (Counts, error) {
	var x Counts
	err := c.call(ctx, http.MethodGet, "/admin/apps/"+esc(appID)+"/bundles/"+esc(name)+"/stats", nil, &x)
	return x, err
}

// ChannelSpec is the body that creates or updates a channel.
type ChannelSpec struct {
	Name              string `json:"name,omitempty"`
	Bundle            string `json:"bundle"`
	Public            bool   `json:"public"`
	AllowSelfSet      bool   `json:"allow_self_set"`
	IOS               bool   `json:"ios"`
	Android           bool   `json:"android"`
	Electron          bool   `json:"electron"`
	DisableAutoUpdate string `json:"disable_auto_update,omitempty"`
}

// PutChannel creates a channel, or updates it when it exists.
func (c *Client) PutChannel(ctx context.Context, appID string, spec ChannelSpec) error {
	err := c.call(ctx, http.MethodPost, "/admin/apps/"+esc(appID)+"/channels", spec, nil)
	if IsStatus(err, http.StatusConflict) {
		name := spec.Name
		spec.Name = ""
		err = c.call(ctx, http.MethodPatch, "/admin/apps/"+esc(appID)+"/channels/"+esc(name), spec, nil)
	}
	return err
}

// GetChannel reads a channel.
func (c *Client) GetChannel(ctx context.Context, appID, channel string) (Channel, error) {
	var ch Channel
	err := c.call(ctx, http.MethodGet, "/admin/apps/"+esc(appID)+"/channels/"+esc(channel), nil, &ch)
	return ch, err
}

// History reads a channel's history, oldest first.
func (c *Client) History(ctx context.Context, appID, channel string) ([]HistoryEvent, error) {
	var h []HistoryEvent
	err := c.call(ctx, http.MethodGet, "/admin/apps/"+esc(appID)+"/channels/"+esc(channel)+"/history", nil, &h)
	return h, err
}
