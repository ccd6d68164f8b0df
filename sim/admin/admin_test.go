package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/otasim/otasim/scenarios"
)

// recorder answers like the admin API and records each call as
// "METHOD path body".
type recorder struct {
	calls  []string
	faults Faults
	status int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":"unauthorized","message":"no","kind":"failed"}`)
		return
	}
	b, _ := io.ReadAll(req.Body)
	r.calls = append(r.calls, strings.TrimSpace(req.Method+" "+req.URL.Path+" "+string(b)))
	if r.status != 0 {
		w.WriteHeader(r.status)
		io.WriteString(w, `{"error":"conflict","message":"exists","kind":"failed"}`)
		return
	}
	switch {
	case req.URL.Path == "/admin/faults" && req.Method == http.MethodGet:
		json.NewEncoder(w).Encode(r.faults)
	default:
		io.WriteString(w, `{}`)
	}
}

func dur(d time.Duration) scenarios.Duration { return scenarios.Duration(d) }

func TestDo(t *testing.T) {
	ch := "/admin/apps/com.x/channels/production"
	tests := []struct {
		name string
		step scenarios.Step
		want []string
	}{
		{"release", scenarios.Step{Release: &scenarios.Release{Channel: "production", Bundle: "1.1.0"}},
			[]string{`PATCH ` + ch + ` {"bundle":"1.1.0"}`}},
		{"rollout", scenarios.Step{Rollout: &scenarios.Rollout{Channel: "production", Bundle: "1.1.0", Percent: 12.5}},
			[]string{`POST ` + ch + `/rollout {"bundle":"1.1.0","percent_bp":1250}`}},
		{"set percent", scenarios.Step{SetPercent: &scenarios.SetPercent{Channel: "production", Percent: 50}},
			[]string{`PATCH ` + ch + `/rollout {"percent_bp":5000}`}},
		{"pause", scenarios.Step{Pause: &scenarios.ChannelRef{Channel: "production"}}, []string{`POST ` + ch + `/rollout/pause`}},
		{"resume", scenarios.Step{Resume: &scenarios.ChannelRef{Channel: "production"}}, []string{`POST ` + ch + `/rollout/resume`}},
		{"promote", scenarios.Step{Promote: &scenarios.ChannelRef{Channel: "production"}}, []string{`POST ` + ch + `/rollout/promote`}},
		{"rollback", scenarios.Step{Rollback: &scenarios.ChannelRef{Channel: "production"}},
			[]string{`POST ` + ch + `/rollback {"reason":"timeline"}`}},
		{"guard", scenarios.Step{Guard: &scenarios.Guard{Channel: "production", Threshold: 0.2, MinAttempts: 50,
			Window: dur(time.Hour), Cooldown: dur(30 * time.Minute), Action: "rollback"}},
			[]string{`PUT ` + ch + `/guard {"action":"rollback","cooldown_s":1800,"enabled":true,"min_attempts":50,"threshold":0.2,"window_s":3600}`}},
		{"cdn faults", scenarios.Step{CDNFaults: &scenarios.CDNFaults{Latency: dur(200 * time.Millisecond), ErrorRate: 0.1, ErrorMode: "reset"}},
			[]string{`GET /admin/faults`, `PUT /admin/faults {"cdn":{"latency_ms":200,"jitter_ms":0,"bandwidth_bps":0,"error_rate":0.1,"error_mode":"reset","truncate_rate":0,"corrupt_rate":0},"api":{"latency_ms":0,"jitter_ms":0,"error_rate":0.5,"rate_limit_rate":0,"retry_after_s":0}}`}},
		{"clear api faults", scenarios.Step{ClearFaults: &scenarios.ClearFaults{API: true}},
			[]string{`GET /admin/faults`, `PUT /admin/faults {"cdn":{"latency_ms":0,"jitter_ms":0,"bandwidth_bps":0,"error_rate":0,"error_mode":"5xx","truncate_rate":0,"corrupt_rate":0},"api":{"latency_ms":0,"jitter_ms":0,"error_rate":0,"rate_limit_rate":0,"retry_after_s":0}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			rec.faults.API.ErrorRate = 0.5 // kept by a CDN change, cleared by clear api
			srv := httptest.NewServer(rec)
			defer srv.Close()
			c, err := New(srv.URL, "tok", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Do(context.Background(), "com.x", &tt.step); err != nil {
				t.Fatal(err)
			}
			if strings.Join(rec.calls, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(rec.calls, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestErrors(t *testing.T) {
	rec := &recorder{status: 409}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c, _ := New(srv.URL, "tok", nil)
	err := c.Do(context.Background(), "com.x", &scenarios.Step{Pause: &scenarios.ChannelRef{Channel: "p"}})
	if !IsStatus(err, 409) || !strings.Contains(err.Error(), "conflict") {
		t.Fatalf("got %v", err)
	}
	// Creating what exists is fine.
	if err := c.CreateApp(context.Background(), "com.x"); err != nil {
		t.Errorf("CreateApp on 409: %v", err)
	}
	bad, _ := New(srv.URL, "wrong", nil)
	if err := bad.CreateApp(context.Background(), "com.x"); !IsStatus(err, 401) {
		t.Errorf("wrong token: %v", err)
	}
	if _, err := New("ftp://x", "t", nil); err == nil {
		t.Error("ftp URL accepted")
	}
	srv.Close()
	if err := c.Health(context.Background()); err == nil {
		t.Error("closed server: no error")
	}
}
