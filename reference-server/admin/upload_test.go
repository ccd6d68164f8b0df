package admin

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/bundlecheck"
)

// zipOf builds a real zip of name/body pairs; a name ending in "@" is a
// symbolic link to its body.
func zipOf(t *testing.T, pairs ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(pairs); i += 2 {
		fh := &zip.FileHeader{Name: pairs[i], Method: zip.Deflate}
		if name, ok := strings.CutSuffix(pairs[i], "@"); ok {
			fh.Name = name
			fh.SetMode(fs.ModeSymlink | 0o777)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, pairs[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAdminUploadRefusals(t *testing.T) {
	ts := startAPI(t)
	const html = "<html></html>"
	valid := zipOf(t, "index.html", html)
	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"zip slip", zipOf(t, "index.html", html, "../../evil.sh", "x"), 400, string(bundlecheck.RuleUnsafeName)},
		{"absolute path", zipOf(t, "index.html", html, "/etc/cron.d/x", "x"), 400, string(bundlecheck.RuleUnsafeName)},
		{"symlink", zipOf(t, "index.html", html, "passwd@", "/etc/passwd"), 400, string(bundlecheck.RuleNotRegular)},
		{"bomb", zipOf(t, "index.html", html, "zeros", string(make([]byte, 8<<20))), 400, string(bundlecheck.RuleRatio)},
		{"empty archive", zipOf(t), 400, string(bundlecheck.RuleEmpty)},
		{"empty body", nil, 400, string(bundlecheck.RuleEmpty)},
		{"junk prefix", append([]byte("junk"), valid...), 400, string(bundlecheck.RuleNotZip)},
		{"not a zip", []byte("not a zip"), 400, string(bundlecheck.RuleNotZip)},
		{"no index.html", zipOf(t, "main.js", "x"), 400, string(bundlecheck.RuleNoIndex)},
		{"index.html in the top folder", zipOf(t, "dist/index.html", html, "dist/a.js", "x"), 201, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := "/admin/apps/com.example.app/bundles/2.0." + string(rune('0'+i))
			st, raw := do(t, "PUT", ts.url+path, c.body, "Authorization", "Bearer "+testToken)
			if st != c.status {
				t.Fatalf("status %d, want %d: %s", st, c.status, raw)
			}
			if c.status != 201 {
				if e := errorShape(t, raw); e.Error != c.code {
					t.Fatalf("code %q, want %q (%s)", e.Error, c.code, raw)
				}
				if st, _ := do(t, "GET", ts.url+path, nil, "Authorization", "Bearer "+testToken); st != 404 {
					t.Fatalf("a refused bundle exists: GET %d", st)
				}
			}
		})
	}
	// Nothing refused is left on disk.
	dir := filepath.Dir(ts.state.Snapshot().Apps[DemoAppID].Bundles["1.1.0"].Path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "tmp-") {
			t.Errorf("temporary upload left behind: %s", e.Name())
		}
	}
}

// TestAdminUploadStreams: a large body that is no zip is refused from its
// first bytes, not read whole; one over the limit is refused once past it.
func TestAdminUploadStreams(t *testing.T) {
	ts := startAPI(t)
	ts.bundles.MaxUpload = 8 << 20 // set before any request
	const total = 100 << 20
	for _, c := range []struct {
		name   string
		head   string
		status int
	}{
		{"not a zip", "MZ", 400},
		{"over the limit", "PK\x03\x04", 413},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := &countingReader{r: io.MultiReader(strings.NewReader(c.head), io.LimitReader(zeroes{}, total))}
			req, err := http.NewRequest("PUT", ts.url+"/admin/apps/com.example.app/bundles/3.0.0", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+testToken)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, raw)
			}
			errorShape(t, raw)
			if c.status == 413 && !strings.Contains(string(raw), protocol.CodeBodyTooLarge) {
				t.Fatalf("reply %s", raw)
			}
			if n := body.n.Load(); n >= total {
				t.Fatalf("the server read %d bytes of a %d-byte upload it refused", n, total)
			}
		})
	}
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) { clear(p); return len(p), nil }
