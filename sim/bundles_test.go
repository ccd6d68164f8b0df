package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/client"
)

// A bundle the scenario does not know (an external server offers its
// own) is sized from its download, and downloads of bundles under 1 MB
// are timed per download, never per 5 MB.
func TestUnknownBundleSizedFromItsDownload(t *testing.T) {
	data := make([]byte, 12_345)
	sum := sha256.Sum256(data)
	var base string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /updates", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, `{"version":"7.7.7","url":"%s/7.7.7.zip","checksum":"%s"}`, base, hex.EncodeToString(sum[:]))
	})
	mux.HandleFunc("POST /stats", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /7.7.7.zip", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(data) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base = srv.URL
	sc, err := scenarios.Parse("t.yaml", []byte(`
run: {duration: 1h, speed: 3600, seed: 2}
fleet:
  devices: 20
  segments:
    - {name: a, share: 1, sessions_per_day: 96, update_mode: always, diurnal: flat}
targets: {disable: [adoption]}
`))
	if err != nil {
		t.Fatal(err)
	}
	run, err := Run(context.Background(), Config{Scenario: sc, RunID: "unknown",
		Endpoints: client.Endpoints{Updates: srv.URL + "/updates", Stats: srv.URL + "/stats", Channel: srv.URL + "/channel_self"}})
	if err != nil {
		t.Fatal(err)
	}
	s := &run.Summary
	var size int64 = -1
	for _, b := range s.Bundles {
		if b.Version == "7.7.7" {
			size = b.Size
		}
	}
	if size != int64(len(data)) {
		t.Errorf("bundle 7.7.7 sized %d, want %d (bundles %+v)", size, len(data), s.Bundles)
	}
	c := s.CDN
	if c.Downloads == 0 || c.MsPerDownload.Count != c.Downloads || c.MsPer5MB.Count != 0 {
		t.Errorf("downloads %d, per download %d, per 5 MB %d", c.Downloads, c.MsPerDownload.Count, c.MsPer5MB.Count)
	}
}
