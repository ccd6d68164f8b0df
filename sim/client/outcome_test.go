package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otasim/otasim/internal/sabotage"
	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/results"
)

// Every way a server fails a device's request is classed as the failure
// it is, over real loopback servers; a 200 carrying the protocol's error
// code is a success.
func TestOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		base    func(t testing.TB) string
		outcome results.Outcome
		cause   string
		status  int
	}{
		{"no new version (200 with an error code)", func(t testing.TB) string {
			return sabotage.Serve(t, sabotage.Body("application/json", `{"error":"no_new_version_available","message":"x","kind":"up_to_date"}`))
		}, results.OutcomeSuccess, "", 200},
		{"a bundle", func(t testing.TB) string {
			return sabotage.Serve(t, sabotage.Body("application/json", `{"version":"1.1.0","url":"http://x/1.zip","checksum":"ab"}`))
		}, results.OutcomeSuccess, "", 200},
		{"501 from a web server", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Status(501)) },
			results.OutcomeHTTPError, "http_501", 501},
		{"503", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Status(503)) }, results.OutcomeHTTPError, "http_503", 503},
		{"404", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Status(404)) }, results.OutcomeHTTPError, "http_404", 404},
		{"429 storm", func(t testing.TB) string { return sabotage.Serve(t, sabotage.RateLimited("1")) }, results.OutcomeHTTPError, "http_429", 429},
		{"garbage", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Body("text/plain", "<html>hello")) },
			results.OutcomeProtocolError, CauseInvalid, 200},
		{"JSON of the wrong shape", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Body("application/json", `{"hello":1}`)) },
			results.OutcomeProtocolError, CauseShape, 200},
		{"JSON of the wrong type", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Body("application/json", `[1,2]`)) },
			results.OutcomeProtocolError, CauseShape, 200},
		{"an empty 200", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Body("application/json", "")) },
			results.OutcomeProtocolError, CauseShape, 200},
		{"accepts and never answers", sabotage.Silent, results.OutcomeTimeout, CauseTimeout, 0},
		{"resets every connection", sabotage.Reset, results.OutcomeNetworkError, CauseReset, 0},
		{"refused", sabotage.Refused, results.OutcomeNetworkError, CauseRefused, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base(t)
			c, err := New(Config{Endpoints: Endpoints{Updates: base + "/updates", Stats: base + "/stats", Channel: base + "/channel_self"},
				Connections: 1, ResponseTimeout: timeoutFor(tt.outcome)})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var reply protocol.UpdateReply
			res := c.Updates(t.Context(), info(), &reply)
			if res.Outcome != tt.outcome || res.Cause != tt.cause || res.Status != tt.status {
				t.Errorf("outcome %s, cause %q, status %d (err %v); want %s, %q, %d", res.Outcome, res.Cause, res.Status, res.Err,
					tt.outcome, tt.cause, tt.status)
			}
		})
	}
}

// /stats and /channel_self replies are checked for their own shapes.
func TestOutcomesOtherEndpoints(t *testing.T) {
	tests := []struct {
		name, body string
		call       func(c *Client) Result
		want       results.Outcome
	}{
		{"stats ok", `{"status":"ok"}`, func(c *Client) Result {
			return c.Stats(context.Background(), []protocol.StatsEvent{{Info: *info(), Action: "set"}}, &protocol.StatsReply{})
		}, results.OutcomeSuccess},
		{"stats error code", `{"error":"mixed_app_ids","message":"x"}`, func(c *Client) Result {
			return c.Stats(context.Background(), []protocol.StatsEvent{{Info: *info(), Action: "set"}}, &protocol.StatsReply{})
		}, results.OutcomeSuccess},
		{"stats shapeless", `{"x":1}`, func(c *Client) Result {
			return c.Stats(context.Background(), []protocol.StatsEvent{{Info: *info(), Action: "set"}}, &protocol.StatsReply{})
		}, results.OutcomeProtocolError},
		{"channel list", `[{"id":1,"name":"beta","public":false,"allow_self_set":true}]`, func(c *Client) Result {
			var l []protocol.ChannelListItem
			return c.ListChannels(context.Background(), info(), &l)
		}, results.OutcomeSuccess},
		{"channel list not a list", `{"error":"x"}`, func(c *Client) Result {
			var l []protocol.ChannelListItem
			return c.ListChannels(context.Background(), info(), &l)
		}, results.OutcomeProtocolError},
		{"channel set", `{"status":"ok","allowSet":true}`, func(c *Client) Result {
			return c.SetChannel(context.Background(), info(), "beta", &ChannelReply{})
		}, results.OutcomeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, sabotage.Serve(t, sabotage.Body("application/json", tt.body)))
			if res := tt.call(c); res.Outcome != tt.want {
				t.Errorf("outcome %s (cause %q, err %v), want %s", res.Outcome, res.Cause, res.Err, tt.want)
			}
		})
	}
}

// A download is a success only with every byte and the right checksum; a
// server that goes silent mid-body times out after the response timeout.
func TestDownloadOutcomes(t *testing.T) {
	body := []byte("bundle bytes")
	sum := sha256.Sum256(body)
	good := hex.EncodeToString(sum[:])
	tests := []struct {
		name     string
		h        http.Handler
		checksum string
		want     results.Outcome
		cause    string
	}{
		{"whole and checked", sabotage.Body("application/zip", string(body)), good, results.OutcomeSuccess, ""},
		{"wrong bytes", sabotage.Body("application/zip", "other bytes!"), good, results.OutcomeProtocolError, CauseChecksum},
		{"503", sabotage.Status(503), good, results.OutcomeHTTPError, "http_503"},
		{"silent after the headers", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(200)
			_, _ = w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			<-r.Context().Done() // never the rest
		}), good, results.OutcomeTimeout, CauseTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := sabotage.Serve(t, tt.h)
			c, err := New(Config{Endpoints: Endpoints{Updates: base, Stats: base, Channel: base}, Connections: 1,
				ResponseTimeout: timeoutFor(tt.want)})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			d := c.Download(t.Context(), base+"/b.zip", tt.checksum, DownloadOptions{})
			if d.Outcome != tt.want || d.Cause != tt.cause || d.Cut {
				t.Errorf("outcome %s, cause %q, cut %v (err %v); want %s, %q", d.Outcome, d.Cause, d.Cut, d.Err, tt.want, tt.cause)
			}
		})
	}
	// A cut the device's modelled network makes is the device's.
	base := sabotage.Serve(t, sabotage.Body("application/zip", string(body)))
	c := newClient(t, base)
	if d := c.Download(t.Context(), base+"/b.zip", good, DownloadOptions{CutAfter: 3}); !d.Cut || d.Complete {
		t.Errorf("cut download: %+v", d)
	}
}

// The start-up probe tells a server that answers (any status) from one
// that refuses connections or accepts them and never answers.
func TestProbe(t *testing.T) {
	for _, tt := range []struct {
		name string
		base func(t testing.TB) string
		ok   bool
		want string
	}{
		{"answers 501", func(t testing.TB) string { return sabotage.Serve(t, sabotage.Status(501)) }, true, ""},
		{"silent", sabotage.Silent, false, "did not answer POST /updates within"},
		{"refused", sabotage.Refused, false, "is unreachable (connection_refused)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.base(t))
			_, err := c.Probe(t.Context(), info(), 300*time.Millisecond)
			if (err == nil) != tt.ok || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("probe: %v, want ok %v / %q", err, tt.ok, tt.want)
			}
		})
	}
}

// timeoutFor is the response timeout of a case: short where the case is
// the timeout, long enough elsewhere that a machine loaded under -race
// never times out a reply that is on its way.
func timeoutFor(want results.Outcome) time.Duration {
	if want == results.OutcomeTimeout {
		return 200 * time.Millisecond
	}
	return 10 * time.Second
}

// TestReplyNamesExact: a reply's member names match as the plugin's
// readers match them, exactly (org.json, JSONDecoder): an /updates reply
// whose "Version" is not "version" offers no bundle, and is not the
// protocol's shape.
func TestReplyNamesExact(t *testing.T) {
	var reply protocol.UpdateReply
	o, cause, err := ReplyOutcome(200, []byte(`{"Version":"1.1.0","URL":"http://x/b.zip","checksum":"ab"}`), &reply)
	if o != results.OutcomeProtocolError || cause != CauseShape || err != nil {
		t.Fatalf("outcome %v %q %v, want a protocol error of shape", o, cause, err)
	}
	if reply.Version != "" || reply.URL != "" || reply.Checksum != "ab" {
		t.Fatalf("reply %+v: only checksum is spelt as the protocol spells it", reply)
	}
	var sw statsWire
	sw.StatsReply = &protocol.StatsReply{}
	if o, _, _ := ReplyOutcome(200, []byte(`{"STATUS":"ok"}`), &sw); o != results.OutcomeProtocolError {
		t.Fatalf(`{"STATUS":"ok"} to /stats: outcome %v, want a protocol error`, o)
	}
}
