package client

import (
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/results"
)

// statsReplies are /stats replies as the reference server writes them
// (refserver's appendBatchReply) and some it does not.
var statsReplies = []string{
	`{"status":"ok"}`,
	`{"status":"ok","results":[{"status":"ok","index":0},{"status":"ok","index":1}]}`,
	`{"status":"ok","results":[{"status":"error","error":"version_not_found","message":"Version not found","index":0,"moreInfo":{"version":"1.0.0"}},{"status":"ok","index":1}]}` + "\n",
	`{"status":"ok","results":[]}`,
	`{"error":"invalid_json_body","message":"Invalid JSON body","moreInfo":{}}`,
	`{"Status":"ok"}`,
	`{"status":"o\u006b","results":[{"status":"ok","index":1e0}]}`,
	`{"status":null,"results":null}`,
	`{"status":"ok","results":[{"status":"ok","index":1.5}]}`,
	`{"status":"ok","results":[{"status":"ok","index":"1"}]}`,
	`{"status":"ok","results":[{"status":"ok","index":0,"moreInfo":{"a":1}}]}`,
	`{"status":"ok","status":"error","results":[{"index":2}],"results":[{"index":3}]}`,
	`{"status":"ok"} x`,
	`{"status":"ok"`,
	`[{"status":"ok"}]`,
	`{"status":"\xff"}`,
	`{"status":"ok","results":[{"status":"ok","index":99999999999999999999}]}`,
	``,
}

// decodeByReflection is what statsWire.decode must agree with: the
// general decoder, without the results' moreInfo, a null taken as an
// empty reply.
func decodeByReflection(b []byte) (*statsWire, error) {
	w := &statsWire{StatsReply: &protocol.StatsReply{}}
	err := jsonv2.Unmarshal(b, w, replyOptions)
	if w.StatsReply == nil {
		w.StatsReply = &protocol.StatsReply{}
	}
	for i := range w.Results {
		w.Results[i].MoreInfo = nil
	}
	return w, err
}

func FuzzStatsReplyFastPath(f *testing.F) {
	for _, s := range statsReplies {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, wantErr := decodeByReflection(b)
		// A reused reply, as a job's: results from an earlier decode.
		got := &statsWire{StatsReply: &protocol.StatsReply{Results: make([]protocol.StatsResult, 3, 8)}}
		got.Results[0].MoreInfo = map[string]string{"stale": "x"}
		got.Results = got.Results[:0]
		err := got.decode(b)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, reflection's %v", b, err, wantErr)
		}
		// No results are no results, whatever array holds them.
		for _, w := range []*statsWire{got, want} {
			if len(w.Results) == 0 {
				w.Results = nil
			}
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v %+v\nwant %+v %+v", b, got, got.StatsReply, want, want.StatsReply)
		}
	})
}

// TestStatsReplyFastPath: the server's replies take the path without
// reflection (the others are left to it; FuzzStatsReplyFastPath checks
// that both agree).
func TestStatsReplyFastPath(t *testing.T) {
	for _, s := range statsReplies[:4] {
		if err := jsonv2.Unmarshal([]byte(s), &statsFast{StatsReply: &protocol.StatsReply{}}, replyOptions); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

// BenchmarkDecodeStatsReply is a /stats reply to a batch of two events,
// one of them refused, decoded as the client does and by reflection.
func BenchmarkDecodeStatsReply(b *testing.B) {
	body := []byte(statsReplies[2])
	for _, bc := range []struct {
		name   string
		decode func(*statsWire) error
	}{
		{"client", func(w *statsWire) error { return decodeReply(body, w) }},
		{"reflection", func(w *statsWire) error { return jsonv2.Unmarshal(body, w, replyOptions) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := &statsWire{StatsReply: &protocol.StatsReply{}}
			b.ReportAllocs()
			for b.Loop() {
				w.Status, w.Error, w.Results = "", "", w.Results[:0]
				if err := bc.decode(w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestNullStatsReply: a 200 whose body is null is a reply of the wrong
// shape. It used to take the caller's reply away and panic the run.
func TestNullStatsReply(t *testing.T) {
	for _, body := range []string{"null", "null0", " null "} {
		reply := &protocol.StatsReply{Status: "stale"}
		o, cause, _ := decodeOutcome([]byte(body), &statsWire{StatsReply: reply})
		if o != results.OutcomeProtocolError || cause != CauseShape && cause != CauseInvalid {
			t.Errorf("%q: outcome %v %q, want a protocol error", body, o, cause)
		}
		if reply.Status != "" {
			t.Errorf("%q: reply kept %q", body, reply.Status)
		}
	}
}
