package cdn

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/otasim/otasim/reference-server/faults"
)

// naiveServer serves with a lookup that trusts its arguments and joins them
// into a path, so only the handler's own checks keep requests inside base.
func naiveServer(t testing.TB) (mux *http.ServeMux, calls func() []string, secret string) {
	t.Helper()
	root := t.TempDir()
	base := filepath.Join(root, "bundles")
	secret = "SECRET-OUTSIDE-THE-BUNDLE-DIRECTORY"
	for path, body := range map[string]string{
		filepath.Join(root, "secret.zip"):                       secret,
		filepath.Join(root, "secret", "x.zip"):                  secret,
		filepath.Join(base, "com.example.app", "1.0.0.zip"):     "bundle",
		filepath.Join(base, "com.example.app", ".hidden.zip"):   secret,
		filepath.Join(base, ".hidden", "1.0.0.zip"):             secret,
		filepath.Join(base, "com.example.app", "1.0.0.zip.zip"): "double",
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var seen []string
	lookup := func(appID, version string) (Bundle, bool) {
		mu.Lock()
		seen = append(seen, appID+"|"+version)
		mu.Unlock()
		p := filepath.Join(base, appID, version+".zip")
		fi, err := os.Stat(p)
		if err != nil {
			return Bundle{}, false
		}
		return Bundle{Path: p, Size: fi.Size()}, true
	}
	mux = http.NewServeMux()
	mux.Handle(Pattern, New(lookup, faults.NewSwitch(), nil))
	return mux, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}, secret
}

// rawGet sends target byte for byte, bypassing any client-side cleaning.
func rawGet(t *testing.T, addr, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: cdn.test\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestPathTraversal(t *testing.T) {
	mux, calls, secret := naiveServer(t)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	if code, body := rawGet(t, addr, "/cdn/com.example.app/1.0.0.zip"); code != 200 || body != "bundle" {
		t.Fatalf("the legitimate bundle: %d %q", code, body)
	}
	attacks := []string{
		"/cdn/../secret.zip",
		"/cdn/com.example.app/../../secret.zip",
		"/cdn/com.example.app/..%2f..%2fsecret.zip",
		"/cdn/com.example.app/%2e%2e%2f%2e%2e%2fsecret.zip",
		"/cdn/%2e%2e/secret.zip",
		"/cdn/..%2f..%2fsecret/x.zip",
		"/cdn/%2e%2e%2fsecret/x.zip",
		"/cdn/%2fetc%2fpasswd/x.zip",
		"/cdn/com.example.app/%2fetc%2fpasswd.zip",
		"/cdn/com.example.app/..%5c..%5csecret.zip",
		"/cdn/com.example.app/.hidden.zip",
		"/cdn/.hidden/1.0.0.zip",
		"/cdn/com.example.app/1.0.0.zip%00.zip",
		"/cdn/com.example.app/%00.zip",
		"/cdn/com%00/1.0.0.zip",
		"/cdn//secret.zip",
		"/cdn/com.example.app//secret.zip",
		"http://cdn.test/cdn/../secret.zip",
		"http://cdn.test/cdn/%2e%2e/secret/x.zip",
		"/cdn/com.example.app/" + strings.Repeat("1", 200) + ".zip",
	}
	for _, target := range attacks {
		code, body := rawGet(t, addr, target)
		if code == 200 || strings.Contains(body, secret) {
			t.Errorf("GET %s: %d %q", target, code, body)
		}
	}
	for _, c := range calls() {
		app, version, _ := strings.Cut(c, "|")
		if checkName(app, false) != nil || checkName(version, true) != nil {
			t.Errorf("lookup reached with unchecked names %q", c)
		}
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		app, file string
		ok        bool
	}{
		{"com.example.app", "1.2.0.zip", true},
		{"com.example_app-2", "1.2.0-beta.1+build.5.zip", true},
		{"com.example.app", "1.2.0", false},
		{"com.example.app", ".zip", false},
		{"", "1.0.0.zip", false},
		{"..", "1.0.0.zip", false},
		{"com..app", "1.0.0.zip", false},
		{"com.app", "1..0.zip", false},
		{"com/app", "1.0.0.zip", false},
		{"com.app", "a/b.zip", false},
		{"com.app", "a\\b.zip", false},
		{"com.app", "a\x00.zip", false},
		{"com+app", "1.0.0.zip", false}, // '+' only in versions
		{strings.Repeat("a", maxNameLen), "1.zip", true},
		{strings.Repeat("a", maxNameLen+1), "1.zip", false},
	}
	for _, tt := range tests {
		_, _, err := parsePath(tt.app, tt.file)
		if (err == nil) != tt.ok {
			t.Errorf("parsePath(%q, %q) = %v, want ok %v", tt.app, tt.file, err, tt.ok)
		}
	}
	if _, _, err := parsePath("a/b", "..x.zip"); err == nil || !strings.Contains(err.Error(), "app id") || !strings.Contains(err.Error(), "version") {
		t.Errorf("parsePath reports %v, want both problems", err)
	}
}

func FuzzParsePath(f *testing.F) {
	f.Add("com.example.app", "1.2.0.zip")
	f.Add("..", "..zip")
	f.Add("a/b", "%2e%2e.zip")
	f.Add("com.app", "1.0.0\x00.zip")
	f.Add("/etc", "passwd.zip")
	f.Fuzz(func(t *testing.T, app, file string) {
		a, v, err := parsePath(app, file)
		if err != nil {
			return
		}
		const base = "/srv/bundles"
		p := filepath.Join(base, a, v+".zip")
		if !strings.HasPrefix(p, base+"/") || filepath.Dir(filepath.Dir(p)) != base {
			t.Fatalf("parsePath(%q, %q) accepted names that leave the base: %s", app, file, p)
		}
		if strings.ContainsAny(a+v, "/\\\x00") || strings.Contains(a+v, "..") {
			t.Fatalf("parsePath(%q, %q) accepted %q %q", app, file, a, v)
		}
	})
}

// FuzzHandler sends arbitrary request targets through the mux and the
// handler: nothing outside the bundle directory is ever served.
func FuzzHandler(f *testing.F) {
	f.Add("/cdn/com.example.app/1.0.0.zip")
	f.Add("/cdn/com.example.app/..%2fsecret.zip")
	f.Add("/cdn/%2e%2e/secret.zip")
	f.Add("/cdn/com.example.app/.hidden.zip")
	f.Add("/cdn/com%00/1.zip")
	mux, _, secret := naiveServer(f)
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		req := &http.Request{Method: "GET", URL: u, RequestURI: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Host: "cdn.test", Body: http.NoBody}
		req = req.WithContext(t.Context())
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), secret) {
			t.Fatalf("GET %q served a file outside the bundle directory", target)
		}
	})
}
