package refserver

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
)

// BenchmarkUpdatesHandler measures the /updates path in process, without
// sockets: decode, decide, record the device, encode.
func BenchmarkUpdatesHandler(b *testing.B) {
	srv, err := New(Config{DBPath: filepath.Join(b.TempDir(), "b.db"), AdminToken: testToken,
		PublicURL: "http://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	if err := srv.seedDemo(context.Background(), testBundleSize); err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	body := infoSeed()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/updates", bytes.NewReader(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}
