package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otasim/otasim/protocol"
)

func info() *protocol.Info {
	return &protocol.Info{Platform: "ios", DeviceID: "0b3c5f6e-1234-4abc-8def-0123456789ab", AppID: "com.example.app",
		VersionBuild: "1.0.0", VersionName: "builtin", PluginVersion: protocol.PluginVersion, IsProd: true,
		DefaultChannel: "beta"}
}

func newClient(t *testing.T, base string) *Client {
	t.Helper()
	c, err := New(Config{Endpoints: Endpoints{Updates: base + "/updates?x=1", Stats: base + "/stats", Channel: base + "/channel_self"}, Connections: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestUpdates(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		header      map[string]string
		body        string
		wantErr     bool
		wantReply   protocol.UpdateReply
		wantRetryAf time.Duration
	}{
		{name: "update", status: 200, body: `{"version":"1.1.0","url":"http://x/1.zip","checksum":"ab","session_key":""}`,
			wantReply: protocol.UpdateReply{Version: "1.1.0", URL: "http://x/1.zip", Checksum: "ab"}, wantRetryAf: -1},
		{name: "up to date", status: 200, body: `{"error":"no_new_version_available","message":"m","kind":"up_to_date"}`,
			wantReply: protocol.UpdateReply{Error: "no_new_version_available", Message: "m", Kind: protocol.KindUpToDate}, wantRetryAf: -1},
		{name: "rate limited", status: 429, header: map[string]string{"Retry-After": "120"}, body: `{"error":"too_many_requests","kind":"failed"}`,
			wantReply: protocol.UpdateReply{Error: "too_many_requests", Kind: protocol.KindFailed}, wantRetryAf: 120 * time.Second},
		{name: "garbage", status: 200, body: `<html>`, wantErr: true, wantRetryAf: -1},
		{name: "empty 500", status: 500, body: ``, wantRetryAf: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got protocol.Info
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/updates" || r.URL.Query().Get("x") != "1" || r.Method != http.MethodPost {
					t.Errorf("request %s %s", r.Method, r.URL)
				}
				dec := json.NewDecoder(r.Body)
				dec.DisallowUnknownFields()
				if err := dec.Decode(&got); err != nil {
					t.Errorf("body: %v", err)
				}
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c := newClient(t, srv.URL)
			var reply protocol.UpdateReply
			res := c.Updates(context.Background(), info(), &reply)
			if (res.Err != nil) != tt.wantErr || res.Status != tt.status {
				t.Fatalf("status %d err %v", res.Status, res.Err)
			}
			if !reflect.DeepEqual(reply, tt.wantReply) || res.RetryAfter != tt.wantRetryAf {
				t.Errorf("reply %+v retry %v", reply, res.RetryAfter)
			}
			if got != *info() {
				t.Errorf("server got %+v", got)
			}
			if res.Done.Before(res.Sent) {
				t.Error("done before sent")
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c := newClient(t, base)
	var reply protocol.UpdateReply
	if res := c.Updates(context.Background(), info(), &reply); res.Err == nil || res.Status != 0 {
		t.Fatalf("want a network error, got %+v", res)
	}
}

func TestStatsAndChannel(t *testing.T) {
	var events []protocol.StatsEvent
	var chreq protocol.ChannelSelfRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stats":
			if err := json.NewDecoder(r.Body).Decode(&events); err != nil {
				t.Errorf("stats body: %v", err)
			}
			io.WriteString(w, `{"status":"ok","results":[{"status":"ok","index":0},{"status":"error","index":1,"error":"invalid_action"}]}`)
		case "/channel_self":
			switch r.Method {
			case http.MethodPost:
				json.NewDecoder(r.Body).Decode(&chreq)
				io.WriteString(w, `{"status":"ok","allowSet":true}`)
			case http.MethodPut:
				io.WriteString(w, `{"channel":"beta","status":"override","allowSet":true}`)
			case http.MethodGet:
				if r.URL.Query().Get("device_id") == "" {
					t.Error("GET without device_id")
				}
				io.WriteString(w, `[{"id":1,"name":"beta","public":false,"allow_self_set":true}]`)
			case http.MethodDelete:
				io.WriteString(w, `{"status":"ok"}`)
			}
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	in := []protocol.StatsEvent{
		{Info: *info(), Action: protocol.ActionSet, OldVersionName: "builtin", Timestamp: 1234},
		{Info: *info(), Action: "bogus", Metadata: map[string]string{"k": "v\"\n"}},
	}
	var sr protocol.StatsReply
	if res := c.Stats(context.Background(), in, &sr); res.Err != nil || res.Status != 200 {
		t.Fatalf("stats: %+v", res)
	}
	if !reflect.DeepEqual(events, in) {
		t.Errorf("server got %+v", events)
	}
	if len(sr.Results) != 2 || sr.Results[1].Error != "invalid_action" {
		t.Errorf("reply %+v", sr)
	}
	var cr ChannelReply
	if res := c.SetChannel(context.Background(), info(), "beta", &cr); res.Err != nil || !cr.AllowSet || chreq.Channel != "beta" || chreq.DeviceID != info().DeviceID {
		t.Errorf("set channel: %+v %+v %+v", res, cr, chreq)
	}
	cr = ChannelReply{}
	if res := c.GetChannel(context.Background(), info(), &cr); res.Err != nil || cr.Channel != "beta" || cr.Status != "override" {
		t.Errorf("get channel: %+v %+v", res, cr)
	}
	var list []protocol.ChannelListItem
	if res := c.ListChannels(context.Background(), info(), &list); res.Err != nil || len(list) != 1 || !list[0].AllowSelfSet {
		t.Errorf("list: %+v %+v", res, list)
	}
	cr = ChannelReply{}
	if res := c.UnsetChannel(context.Background(), info(), &cr); res.Err != nil || cr.Status != "ok" {
		t.Errorf("unset: %+v %+v", res, cr)
	}
}

func TestDownload(t *testing.T) {
	data := make([]byte, 3<<20+17)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	sum := sha256.Sum256(data)
	good := hex.EncodeToString(sum[:])
	var ranges atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/b.zip", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "" {
			ranges.Add(1)
		}
		http.ServeContent(w, r, "b.zip", time.Time{}, bytes.NewReader(data))
	})
	mux.HandleFunc("/norange.zip", func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
	mux.HandleFunc("/short.zip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(data[:500])
	})
	mux.HandleFunc("/gone.zip", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 503) })
	corrupt := bytes.Clone(data)
	corrupt[len(corrupt)/2] ^= 1
	mux.HandleFunc("/corrupt.zip", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "corrupt.zip", time.Time{}, bytes.NewReader(corrupt))
	})
	mux.HandleFunc("/longer.zip", func(w http.ResponseWriter, r *http.Request) { w.Write(append(bytes.Clone(data), 0)) })
	mux.HandleFunc("/shorter.zip", func(w http.ResponseWriter, r *http.Request) { w.Write(data[:len(data)-1]) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		name       string
		path       string
		checksum   string
		opt        DownloadOptions
		complete   bool
		checksumOK bool
		resumed    bool
		ranges     int32
		status     int
	}{
		{"whole", "/b.zip", good, DownloadOptions{}, true, true, false, 0, 200},
		{"upper-case checksum", "/b.zip", strings.ToUpper(good), DownloadOptions{}, true, true, false, 0, 200},
		{"no checksum accepted", "/b.zip", "", DownloadOptions{}, true, true, false, 0, 200},
		{"wrong checksum", "/b.zip", strings.Repeat("0", 64), DownloadOptions{}, true, false, false, 0, 200},
		{"cut: the attempt fails, nothing resumed", "/b.zip", good, DownloadOptions{CutAfter: 1 << 20}, false, false, false, 0, 200},
		{"truncated body", "/short.zip", good, DownloadOptions{}, false, false, false, 0, 200},
		{"server error", "/gone.zip", good, DownloadOptions{}, false, false, false, 0, 503},
		{"shaped", "/b.zip", good, DownloadOptions{Shape: Shaping{RTT: time.Millisecond, BytesPerSec: 1 << 40}}, true, true, false, 0, 200},
		{"one byte flipped", "/corrupt.zip", good, DownloadOptions{}, true, false, false, 0, 200},
		{"one byte more", "/longer.zip", good, DownloadOptions{}, true, false, false, 0, 200},
		{"one byte less", "/shorter.zip", good, DownloadOptions{}, true, false, false, 0, 200},
	}
	// Each case twice: hashed by a client that never saw the bundle, and
	// compared with the verified copy by one that downloaded it before.
	warm := newClient(t, srv.URL)
	if d := warm.Download(context.Background(), srv.URL+"/b.zip", good, DownloadOptions{}); !d.ChecksumOK {
		t.Fatalf("first download: %+v", d)
	}
	for _, mode := range []string{"hashed", "compared"} {
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				c := warm
				if mode == "hashed" {
					c = newClient(t, srv.URL)
				}
				ranges.Store(0)
				d := c.Download(context.Background(), srv.URL+tt.path, tt.checksum, tt.opt)
				if d.Complete != tt.complete || d.ChecksumOK != tt.checksumOK || ranges.Load() != tt.ranges || d.Status != tt.status {
					t.Fatalf("got complete=%v checksum=%v ranges=%d status=%d err=%v",
						d.Complete, d.ChecksumOK, ranges.Load(), d.Status, d.Err)
				}
				if tt.opt.CutAfter > 0 && d.Bytes != tt.opt.CutAfter {
					t.Errorf("cut after %d bytes, got %d", tt.opt.CutAfter, d.Bytes)
				}
				if tt.complete && tt.checksumOK && d.Bytes != int64(len(data)) {
					t.Errorf("bytes %d, want %d", d.Bytes, len(data))
				}
				if tt.complete && d.TTFB <= 0 {
					t.Error("no TTFB")
				}
			})
		}
	}
	// A bad download never becomes the verified copy.
	c := newClient(t, srv.URL)
	for _, p := range []string{"/corrupt.zip", "/shorter.zip", "/b.zip", "/b.zip"} {
		d := c.Download(context.Background(), srv.URL+p, good, DownloadOptions{})
		if d.ChecksumOK != (p == "/b.zip") {
			t.Errorf("%s after bad downloads: checksum ok %v", p, d.ChecksumOK)
		}
	}
}

// The plugin reads a 429's retry hint from Retry-After in seconds
// (fractions allowed, no HTTP date), then the body's retryAfterSeconds
// (moreInfo first), then rateLimitResetAt (android/.../CapgoUpdater.java
// :2078 rawRateLimitDeadlineMs).
func TestRateLimitHint(t *testing.T) {
	for _, tt := range []struct {
		h, body string
		after   time.Duration
		reset   int64
	}{
		{"", "", -1, 0}, {"30", "", 30 * time.Second, 0}, {"1.5", "", 1500 * time.Millisecond, 0},
		{"-5", "", -1, 0}, {"soon", "", -1, 0}, {"Wed, 21 Oct 2030 07:28:00 GMT", "", -1, 0},
		{"", `{"retryAfterSeconds":12}`, 12 * time.Second, 0},
		{"", `{"retryAfterSeconds":12,"moreInfo":{"retryAfterSeconds":3}}`, 3 * time.Second, 0},
		{"", `{"rateLimitResetAt":1900000000000}`, -1, 1900000000000},
		{"7", `{"retryAfterSeconds":12}`, 7 * time.Second, 0},
		// Names match exactly, as org.json's has() (:2093-2110).
		{"", `{"RetryAfterSeconds":12,"moreInfo":{"retryafterseconds":3}}`, -1, 0},
	} {
		after, reset := rateLimitHint(tt.h, []byte(tt.body))
		if after != tt.after || reset != tt.reset {
			t.Errorf("rateLimitHint(%q, %s) = %v, %d; want %v, %d", tt.h, tt.body, after, reset, tt.after, tt.reset)
		}
	}
}

func TestBadConfig(t *testing.T) {
	_, err := New(Config{Endpoints: Endpoints{Updates: "ftp://x", Stats: "", Channel: "http://ok/"}})
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{"updates URL", "stats URL", "connections 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// The hand-built bodies decode to what encoding/json would produce.
func FuzzBodies(f *testing.F) {
	f.Add("ios", "dev", "1.0.0", "builtin", "beta", "set", "k", "v")
	f.Add("a\"b\\c", "\x00\x1f\u2028", "é", "\xff\xfe", "", "x", "\n", "\t")
	f.Fuzz(func(t *testing.T, platform, dev, build, name, channel, action, mk, mv string) {
		in := protocol.Info{Platform: platform, DeviceID: dev, AppID: "com.x", VersionBuild: build, VersionName: name,
			PluginVersion: "8.0.0", DefaultChannel: channel, IsProd: true}
		var got protocol.Info
		if err := json.Unmarshal(AppendInfo(nil, &in), &got); err != nil {
			t.Fatalf("info body invalid: %v", err)
		}
		want, _ := json.Marshal(in)
		var wantInfo protocol.Info
		json.Unmarshal(want, &wantInfo)
		if got != wantInfo {
			t.Fatalf("info: got %+v want %+v", got, wantInfo)
		}
		// A batch whose info repeats, then changes, then repeats: the
		// encoder copies a repeated info's fields.
		next := in
		next.VersionName += build
		evs := []protocol.StatsEvent{{Info: in, Action: action, Timestamp: 5, Metadata: map[string]string{mk: mv}},
			{Info: in, Action: name}, {Info: next, Action: action}, {Info: next, OldVersionName: name}}
		var gotEv, wantEv []protocol.StatsEvent
		if err := json.Unmarshal(AppendStats(nil, evs), &gotEv); err != nil {
			t.Fatalf("stats body invalid: %v", err)
		}
		wb, _ := json.Marshal(evs)
		json.Unmarshal(wb, &wantEv)
		if !reflect.DeepEqual(gotEv, wantEv) {
			t.Fatalf("stats: got %+v want %+v", gotEv, wantEv)
		}
		var gotCh, wantCh protocol.ChannelSelfRequest
		if err := json.Unmarshal(AppendChannelRequest(nil, &in, channel), &gotCh); err != nil {
			t.Fatal(err)
		}
		cb, _ := json.Marshal(protocol.ChannelSelfRequest{Info: in, Channel: channel})
		json.Unmarshal(cb, &wantCh)
		if gotCh != wantCh {
			t.Fatalf("channel: got %+v want %+v", gotCh, wantCh)
		}
	})
}

func BenchmarkAppendInfo(b *testing.B) {
	in := info()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendInfo(buf[:0], in)
	}
}

// BenchmarkCheck is the per-download check of a 5 MB bundle's bytes: a
// SHA-256 (the first download) against a compare with the verified copy
// (every later one).
func BenchmarkCheck(b *testing.B) {
	data := make([]byte, 5<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	sum := sha256.Sum256(data)
	good := hex.EncodeToString(sum[:])
	var v verifiedBundles
	first := v.checker(good)
	first.Write(data)
	if !first.ok() {
		b.Fatal("checksum")
	}
	v.keep(good, first)
	for _, mode := range []string{"hash", "compare"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				c := &checker{h: sha256.New(), want: good}
				if mode == "compare" {
					c = v.checker(good)
				}
				for off := 0; off < len(data); off += 256 << 10 {
					c.Write(data[off:min(off+256<<10, len(data))])
				}
				if !c.ok() {
					b.Fatal("checksum")
				}
			}
		})
	}
}

// BenchmarkUpdatesRequest is one /updates request through the client's
// plain-HTTP fast path: body built, sent over a loopback socket to a
// constant handler, reply parsed (the handler's allocations included).
func BenchmarkUpdatesRequest(b *testing.B) {
	reply := []byte(`{"version":"1.1.0","url":"http://127.0.0.1/b.zip","checksum":"` + strings.Repeat("a", 64) + `","session_key":""}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(reply)
	}))
	defer srv.Close()
	c, err := New(Config{Endpoints: Endpoints{Updates: srv.URL + "/updates", Stats: srv.URL + "/stats", Channel: srv.URL + "/channel_self"}, Connections: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	in := info()
	var out protocol.UpdateReply
	b.ReportAllocs()
	for b.Loop() {
		if res := c.Updates(context.Background(), in, &out); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

// BenchmarkAppendStats is a stats batch as a device posts it: three
// events, two of them with the launch metadata.
func BenchmarkAppendStats(b *testing.B) {
	in := *info()
	evs := []protocol.StatsEvent{
		{Info: in, Action: protocol.ActionAppLaunchStart, Timestamp: 1_900_000_000_000,
			Metadata: map[string]string{"launch_started_at": "1900000000000", "source": "plugin_load"}},
		{Info: in, Action: protocol.ActionMovedToForeground, Timestamp: 1_900_000_000_001},
		{Info: in, Action: protocol.ActionAppLaunchReady, Timestamp: 1_900_000_001_500,
			Metadata: map[string]string{"duration_ms": "1500", "launch_started_at": "1900000000000", "source": "notify_app_ready"}},
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendStats(buf[:0], evs)
	}
}
