package cdn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/bundlezip"
	"github.com/otasim/otasim/reference-server/faults"
)

const (
	testApp     = "com.example.app"
	testVersion = "1.2.0"
	testSize    = 1_000_000
)

// fixture is a CDN over a real listener serving one real bundle.
type fixture struct {
	srv   *httptest.Server
	sw    *faults.Switch
	clock *fakeClock
	data  []byte
	sum   string
	url   string
}

func newFixture(t testing.TB, size int64, knobs faults.CDN) *fixture {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, testVersion+".zip")
	sum, err := bundlezip.WriteFile(path, size, testApp+"/"+testVersion)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(appID, version string) (Bundle, bool) {
		if appID == testApp && version == testVersion {
			return Bundle{Path: path, Size: size, SHA256: sum}, true
		}
		if appID == testApp && version == "9.9.9" { // known but gone from disk
			return Bundle{Path: filepath.Join(dir, "gone.zip"), Size: 1}, true
		}
		return Bundle{}, false
	}
	sw := faults.NewSwitch()
	if err := sw.Store(faults.Knobs{CDN: knobs}); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	mux := http.NewServeMux()
	mux.Handle(Pattern, NewWithOptions(lookup, sw, nil, Options{Rand: faults.NewRand(1), Clock: clock}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, sw: sw, clock: clock, data: data, sum: sum,
		url: srv.URL + "/cdn/" + testApp + "/" + testVersion + ".zip"}
}

// get sends a request with the given headers and reads the whole body.
func (fx *fixture) get(t *testing.T, method, url string, hdr map[string]string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := fx.srv.Client().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// fakeClock records the waits of the fault path instead of sleeping.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return ctx.Err()
}

func (c *fakeClock) slept() (total time.Duration, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range c.sleeps {
		total += d
	}
	return total, len(c.sleeps)
}

func TestDownload(t *testing.T) {
	fx := newFixture(t, testSize, faults.CDN{})
	etag := `"` + fx.sum + `"`
	half := int64(testSize / 2)
	tests := []struct {
		name       string
		method     string
		hdr        map[string]string
		wantStatus int
		wantBody   []byte
		wantLength int64
	}{
		{name: "full", method: "GET", wantStatus: 200, wantBody: fx.data, wantLength: testSize},
		{name: "head", method: "HEAD", wantStatus: 200, wantBody: []byte{}, wantLength: testSize},
		{name: "not modified", method: "GET", hdr: map[string]string{"If-None-Match": etag}, wantStatus: 304, wantBody: []byte{}, wantLength: -1},
		{name: "other etag", method: "GET", hdr: map[string]string{"If-None-Match": `"abc"`}, wantStatus: 200, wantBody: fx.data, wantLength: testSize},
		{name: "range open", method: "GET", hdr: map[string]string{"Range": fmt.Sprintf("bytes=%d-", half)},
			wantStatus: 206, wantBody: fx.data[half:], wantLength: testSize - half},
		{name: "range closed", method: "GET", hdr: map[string]string{"Range": "bytes=10-19"},
			wantStatus: 206, wantBody: fx.data[10:20], wantLength: 10},
		{name: "if-range matches", method: "GET", hdr: map[string]string{"Range": "bytes=100-", "If-Range": etag},
			wantStatus: 206, wantBody: fx.data[100:], wantLength: testSize - 100},
		{name: "if-range stale", method: "GET", hdr: map[string]string{"Range": "bytes=100-", "If-Range": `"old"`},
			wantStatus: 200, wantBody: fx.data, wantLength: testSize},
		{name: "range beyond", method: "GET", hdr: map[string]string{"Range": fmt.Sprintf("bytes=%d-", testSize+5)},
			wantStatus: 416, wantLength: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, err := fx.get(t, tt.method, fx.url, tt.hdr)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantBody != nil && !bytes.Equal(body, tt.wantBody) {
				t.Fatalf("body: %d bytes, want %d (sha %s)", len(body), len(tt.wantBody), sha(body))
			}
			if tt.wantLength >= 0 && resp.ContentLength != tt.wantLength {
				t.Errorf("Content-Length = %d, want %d", resp.ContentLength, tt.wantLength)
			}
			if tt.wantStatus == 416 {
				return
			}
			for k, want := range map[string]string{"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tt.wantStatus != 304 {
				for k, want := range map[string]string{"Accept-Ranges": "bytes", "Content-Type": "application/zip"} {
					if got := resp.Header.Get(k); got != want {
						t.Errorf("%s = %q, want %q", k, got, want)
					}
				}
			}
		})
	}
	if _, body, _ := fx.get(t, "GET", fx.url, nil); sha(body) != fx.sum {
		t.Errorf("downloaded bytes hash to %s, want %s", sha(body), fx.sum)
	}
}

// TestResume reads half a download, drops it, and resumes with Range as the
// plugin does.
func TestResume(t *testing.T) {
	fx := newFixture(t, testSize, faults.CDN{})
	resp, err := fx.srv.Client().Get(fx.url)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, testSize/2+123)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, rest, err := fx.get(t, "GET", fx.url, map[string]string{
		"Range": "bytes=" + strconv.Itoa(len(first)) + "-", "If-Range": resp.Header.Get("ETag")})
	if err != nil {
		t.Fatal(err)
	}
	if got := sha(append(first, rest...)); got != fx.sum {
		t.Fatalf("resumed download hashes to %s, want %s", got, fx.sum)
	}
}

func TestKeepAlive(t *testing.T) {
	fx := newFixture(t, 10_000, faults.CDN{})
	var reused []bool
	for range 3 {
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "GET", fx.url, nil)
		resp, err := fx.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if fmt.Sprint(reused) != "[false true true]" {
		t.Errorf("connection reused: %v, want [false true true]", reused)
	}
}

func TestErrors(t *testing.T) {
	fx := newFixture(t, 10_000, faults.CDN{})
	base := fx.srv.URL + "/cdn/" + testApp + "/"
	tests := []struct {
		name       string
		method     string
		url        string
		wantStatus int
		wantCode   string
	}{
		{"unknown version", "GET", base + "3.0.0.zip", 404, protocol.CodeNoBundle},
		{"unknown app", "GET", fx.srv.URL + "/cdn/com.other/1.2.0.zip", 404, protocol.CodeNoBundle},
		{"file gone", "GET", base + "9.9.9.zip", 404, protocol.CodeNoBundle},
		{"not a zip", "GET", base + "1.2.0.tar", 400, CodeInvalidPath},
		{"bad charset", "GET", base + "1.2.0%20x.zip", 400, CodeInvalidPath},
		{"post", "POST", fx.url, 405, CodeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, err := fx.get(t, tt.method, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantStatus, body)
			}
			var e protocol.Error
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if e.Error != tt.wantCode || e.Kind != protocol.KindFailed {
				t.Errorf("reply %+v, want code %q kind failed", e, tt.wantCode)
			}
		})
	}
}

func TestSwitchAppliesToNextRequest(t *testing.T) {
	fx := newFixture(t, 10_000, faults.CDN{ErrorRate: 1})
	if resp, _, err := fx.get(t, "GET", fx.url, nil); err != nil || resp.StatusCode != 503 {
		t.Fatalf("with error_rate 1: %v, %v; want 503", resp, err)
	}
	if err := fx.sw.Store(faults.Knobs{}); err != nil {
		t.Fatal(err)
	}
	if resp, body, err := fx.get(t, "GET", fx.url, nil); err != nil || resp.StatusCode != 200 || sha(body) != fx.sum {
		t.Fatalf("after clearing the faults: %v, %v; want 200 with the bundle", resp, err)
	}
}
