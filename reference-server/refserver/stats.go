package refserver

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// handleStats answers POST /stats as the backend's stats plugin
// (plugins/stats.ts:231-381): one event or a batch (a JSON array) of one
// app's events, each checked and decided on its own; a batch gets a result
// per event. It replies only once the accepted events are committed, so an
// acknowledged event survives a crash.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) string {
	pooled, ok := s.bodies.read(w, r, MaxStatsBody)
	if !ok {
		return protocol.CodeBodyTooLarge
	}
	sc := s.scratch.get()
	defer s.scratch.put(sc)
	evs, batch, n, ok := s.decodeStats(*pooled, sc)
	// Nothing decoded refers to the body's bytes (strings and raw values
	// are copies): the buffer goes back before the events wait for the
	// writer, so a waiting request holds its events only.
	s.bodies.put(pooled)
	if n > MaxStatsEvents {
		tooLarge(w, "a batch of "+strconv.Itoa(n)+" events is over the limit of "+strconv.Itoa(MaxStatsEvents))
		return protocol.CodeBodyTooLarge
	}
	if !ok {
		return s.reject(w, invalidJSON())
	}
	if batch && len(evs) == 0 {
		writeReply(w, s.ctypeJSON, http.StatusOK, s.replies.emptyBatch)
		return "ok"
	}
	if code, msg, status := batchAppID(evs); code != "" {
		if status == http.StatusBadRequest {
			return s.reject(w, &rejection{status: status, code: code, message: msg})
		}
		writeReply(w, s.ctypeJSON, status, plainError(code, msg))
		return code
	}
	if !batch {
		return s.statsOne(w, r, &evs[0], &sc.rec)
	}
	return s.statsBatch(w, r, evs, sc)
}

// decodeStats decodes a stats body into its events, sc's (kept there,
// decoded or not, to be cleared and reused); n is their number, ok is
// false when it is not JSON. A batch of over MaxStatsEvents is counted,
// not decoded. A batch is read in one pass (eventBatch; copying the
// elements first, then decoding each, was a fifth of the batch's cost,
// BenchmarkDecodeStats).
func (s *Server) decodeStats(body []byte, sc *statsScratch) (evs []wireBody, batch bool, n int, ok bool) {
	body = bytes.TrimPrefix(body, []byte("\uFEFF"))
	if topKind(body) != jsArray {
		sc.evs = append(sc.evs[:0], wireBody{})
		if s.dj.decodeBody(body, &sc.evs[0]) != nil {
			return nil, false, 1, false
		}
		lowerDeviceID(&sc.evs[0])
		return sc.evs, false, 1, true
	}
	b := eventBatch{dj: s.dj, evs: sc.evs[:0], decoded: true}
	err := s.dj.unmarshal(body, &b)
	sc.evs = b.evs
	if err != nil {
		return nil, true, 0, false
	}
	if b.n > MaxStatsEvents || !b.decoded {
		return nil, true, b.n, b.n > MaxStatsEvents
	}
	return b.evs, true, b.n, true
}

// eventBatch decodes a stats batch, a JSON array, as the decoder meets its
// events. n counts them all; only the first MaxStatsEvents are decoded,
// and none after one that fails (decoded false).
type eventBatch struct {
	dj      wireDecoder
	evs     []wireBody
	n       int
	decoded bool
}

func (b *eventBatch) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return cmp.Or(err, errNotArray)
	}
	for k := dec.PeekKind(); k != ']'; k = dec.PeekKind() {
		if b.n++; b.n > MaxStatsEvents || !b.decoded || k != '{' {
			// Counted only, or not an object: its kind and keys are
			// all that is read.
			raw, err := dec.ReadValue()
			if err != nil {
				return err
			}
			if b.n <= MaxStatsEvents && b.decoded {
				b.evs = append(b.evs, wireBody{})
				b.decoded = b.dj.decodeBody(raw, &b.evs[len(b.evs)-1]) == nil
			}
			continue
		}
		b.evs = append(b.evs, wireBody{})
		wb := &b.evs[len(b.evs)-1]
		var prev *wireBody
		if len(b.evs) > 1 {
			prev = &b.evs[len(b.evs)-2]
		}
		if err := wb.decode(dec, prev); err != nil {
			return err
		}
		lowerDeviceID(wb)
	}
	_, err := dec.ReadToken()
	return err
}

var errNotArray = errors.New("not a JSON array")

// lowerDeviceID lowercases a device_id that is a string, as the backend
// does (plugins/stats.ts:209-229).
func lowerDeviceID(wb *wireBody) {
	if wb.DeviceID.isString() {
		wb.DeviceID.str = strings.ToLower(wb.DeviceID.str)
	}
}

// batchAppID checks the app ids of a body's events
// (plugins/stats.ts:242-270): the first must be a reverse-domain string
// (else a 400), every other one too and the same (else a 200 error).
func batchAppID(evs []wireBody) (code, msg string, status int) {
	for i := range evs {
		id := evs[i].AppID
		status = http.StatusOK
		if i == 0 {
			status = http.StatusBadRequest
		}
		switch {
		case !id.truth || !id.isString():
			return protocol.CodeInvalidAppID, msgMissingAppID, status
		case !release.MatchesAppID(id.str):
			return protocol.CodeInvalidAppID, msgInvalidAppID, status
		case id.str != evs[0].AppID.str:
			return protocol.CodeMixedAppIDs, "All events in a batch must have the same app_id", http.StatusOK
		}
	}
	return "", "", 0
}

// statsOne answers a single event: its problems are the reply.
func (s *Server) statsOne(w http.ResponseWriter, r *http.Request, wb *wireBody, rec *recorder) string {
	if rej := parsePluginBody(wb, parseOpts{schema: statsSchema, invalidCode: protocol.CodeInvalidJSONBody, requireDevice: true}); rej != nil {
		s.metrics.statsEvent("invalid")
		return s.reject(w, rej)
	}
	app := s.state.Snapshot().Apps[wb.AppID.str]
	if app == nil {
		writeReply(w, s.ctypeJSON, http.StatusTooManyRequests, s.replies.onPremise)
		return protocol.CodeOnPremiseApp
	}
	out := release.DecideEvent(app, eventOf(wb))
	switch {
	case out.Crash:
		s.metrics.statsEvent("invalid")
		return s.reject(w, crash(""))
	case out.Code != "":
		s.metrics.statsEvent("invalid")
		writeReply(w, s.ctypeJSON, http.StatusOK, plainError(out.Code, out.Message, "app_id", app.ID, "version_name", wb.VersionName.str))
		return out.Code
	}
	rec.add(s, wb, out)
	if outcome, ok := s.commit(w, r, app.ID, rec); !ok {
		return outcome
	}
	writeReply(w, s.ctypeJSON, http.StatusOK, s.replies.statusOK)
	return "ok"
}

// statsBatch answers a batch: every event gets its result.
func (s *Server) statsBatch(w http.ResponseWriter, r *http.Request, evs []wireBody, sc *statsScratch) string {
	app := s.state.Snapshot().Apps[evs[0].AppID.str]
	sc.results = slices.Grow(sc.results, len(evs))[:len(evs)]
	rep := protocol.StatsReply{Status: "ok", Results: sc.results}
	rec := &sc.rec
	for i := range evs {
		wb := &evs[i]
		res := &rep.Results[i]
		*res = protocol.StatsResult{Status: "ok", Index: i}
		if rej := parsePluginBody(wb, parseOpts{schema: statsSchema, invalidCode: protocol.CodeInvalidJSONBody, requireDevice: true}); rej != nil {
			res.Status, res.Error, res.Message = "error", rej.code, rej.message
			if rej.jsError != "" {
				res.Error, res.Message = protocol.CodeProcessingError, rej.jsError
			}
			continue
		}
		if app == nil {
			res.Status, res.Error, res.Message = "error", protocol.CodeOnPremiseApp, "On-premise app detected"
			continue
		}
		out := release.DecideEvent(app, eventOf(wb))
		switch {
		case out.Crash:
			res.Status, res.Error, res.Message = "error", protocol.CodeProcessingError, crashUndefinedAction
		case out.Code != "":
			res.Status, res.Error, res.Message = "error", out.Code, out.Message
			res.MoreInfo = sc.moreInfo(app.ID, wb.VersionName.str)
		default:
			rec.add(s, wb, out)
		}
	}
	if app != nil {
		if outcome, ok := s.commit(w, r, app.ID, rec); !ok {
			return outcome
		}
	}
	for _, res := range rep.Results {
		if res.Status != "ok" {
			s.metrics.statsEvent("invalid")
		}
	}
	// net/http copies the reply as it is written: the buffer is free
	// again once written.
	out := s.bodies.get()
	*out = appendBatchReply(*out, &rep)
	writeReply(w, s.ctypeJSON, http.StatusOK, *out)
	s.bodies.put(out)
	return "ok"
}

// appendBatchReply appends a batch's reply, written by hand because
// encoding/json's reflection was the batch path's largest cost. Many
// batches carry refusals: a device on its builtin bundle names its native
// version (A/CapgoUpdater.java:3188-3194), which an app without a bundle of
// that name refuses as version_not_found (plugins/stats.ts:165-170). The
// fields are in StatsReply's order, omitempty kept, moreInfo's keys
// sorted, strings as JSON.stringify writes them (TestBatchReply).
func appendBatchReply(b []byte, rep *protocol.StatsReply) []byte {
	b = append(b, `{"status":`...)
	b = appendJSONString(b, rep.Status)
	if len(rep.Results) == 0 {
		return append(b, "}\n"...)
	}
	b = append(b, `,"results":[`...)
	for i, res := range rep.Results {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"status":`...)
		b = appendJSONString(b, res.Status)
		if res.Error != "" {
			b = appendField(b, "error", res.Error)
		}
		if res.Message != "" {
			b = appendField(b, "message", res.Message)
		}
		b = append(b, `,"index":`...)
		b = strconv.AppendInt(b, int64(res.Index), 10)
		if len(res.MoreInfo) > 0 {
			b = append(b, `,"moreInfo":{`...)
			var room [4]string // the server's moreInfo has two keys
			keys := room[:0]
			for k := range res.MoreInfo {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for j, k := range keys {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, k)
				b = append(b, ':')
				b = appendJSONString(b, res.MoreInfo[k])
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

// crashUndefinedAction is the message of the exception the backend throws
// on an event without an action about a known bundle (plugins/stats.ts:183).
const crashUndefinedAction = "Cannot read properties of undefined (reading 'endsWith')"

// eventOf is what DecideEvent needs of a valid event.
func eventOf(wb *wireBody) release.Event {
	return release.Event{VersionName: wb.VersionName.str, OldVersionName: wb.OldVersionName.str, Action: wb.Action.str,
		Plugin: wb.PluginVersion.str, IsProd: wb.IsProd.truth, IsEmulator: wb.IsEmulator.truth}
}

// recorder gathers the accepted events of a request and their counts
// (in a statsScratch's slices).
type recorder struct {
	events []store.Event
	infos  []protocol.Info
}

func (rec *recorder) add(s *Server, wb *wireBody, out release.EventOutcome) {
	if !out.Store {
		return
	}
	in := wb.info()
	var counts []store.CountDelta
	for _, c := range out.Counts {
		counts = append(counts, store.CountDelta{AppID: in.AppID, Bundle: c.Bundle, Kind: c.Kind, N: 1})
	}
	rec.events = append(rec.events, store.Event{AppID: in.AppID, DeviceID: in.DeviceID, Action: wb.Action.str,
		VersionName: in.VersionName, OldVersionName: wb.OldVersionName.str, VersionBuild: in.VersionBuild,
		Platform: in.Platform, IsProd: in.IsProd, IsEmulator: in.IsEmulator, Timestamp: timestamp(wb.Timestamp),
		Metadata: metadataMap(wb.Metadata.entries), ReceivedAt: s.now(), Counts: counts})
	rec.infos = append(rec.infos, in)
}

// commit stores a request's events. When they cannot be stored now it
// writes the reply and returns its outcome: 429 when the writer holds its
// maximum of events, 503 when storage fails (the plugin retries the batch
// on both, after Retry-After). A retried event is acknowledged again and
// stored once.
func (s *Server) commit(w http.ResponseWriter, r *http.Request, appID string, rec *recorder) (outcome string, ok bool) {
	dup, err := s.state.Record(r.Context(), appID, rec.events, rec.infos)
	switch {
	case errors.Is(err, store.ErrBusy):
		return s.shed(w, "stats", ReasonStatsQueue), false
	case errors.Is(err, store.ErrFailing):
		return s.shed(w, "stats", ReasonUnhealthy), false
	case err != nil:
		s.log.Error("stats: store events", "app_id", appID, "events", len(rec.events), "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryUnhealthyS))
		writeReply(w, s.ctypeJSON, http.StatusServiceUnavailable, plainError(protocol.CodeServerError, "cannot store events, retry later"))
		return protocol.CodeServerError, false
	}
	for i, e := range rec.events {
		if dup == nil || !dup[i] {
			s.metrics.statsEvent(e.Action)
		}
	}
	return "", true
}

// timestamp is an event's timestamp in milliseconds, 0 when it is not a
// number.
func timestamp(f jsField) int64 {
	if f.kind != jsNumber {
		return 0
	}
	v, err := strconv.ParseFloat(f.str, 64)
	if err != nil || math.IsNaN(v) || math.Abs(v) > 1<<62 {
		return 0
	}
	return int64(v)
}
