package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	body := []byte(`{"version":"1.1.0","url":"http://127.0.0.1:8080/cdn/com.example.app/1.1.0.zip","checksum":"ab","session_key":""}` + "\n")
	srv := httptest.NewServer(newHandler(body))
	defer srv.Close()
	for range 2 {
		resp, err := srv.Client().Post(srv.URL+"/updates", "application/json", strings.NewReader(`{"app_id":"com.example.app"}`))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(got) != string(body) {
			t.Fatalf("POST /updates: %d %q %v", resp.StatusCode, got, err)
		}
		if resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
		}
	}
	resp, err := srv.Client().Get(srv.URL + "/updates")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /updates: %d, want 405", resp.StatusCode)
	}
}
