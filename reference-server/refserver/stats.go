package refserver

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/store"
)

// Metadata limits of a stats event (the backend's).
const (
	maxMetadataKey   = 64
	maxMetadataValue = 2048
)

// wireEvent decodes one stats event; see wireInfo for the booleans.
type wireEvent struct {
	wireInfo
	OldVersionName string         `json:"old_version_name"`
	Action         string         `json:"action"`
	Timestamp      int64          `json:"timestamp"`
	Metadata       jsontext.Value `json:"metadata"`
	VersionName    *string        `json:"version_name"`
}

// itemError is why one event of a batch was refused.
type itemError struct{ code, msg string }

// handleStats stores one event or a batch and replies only once they are
// committed, so an acknowledged event survives a crash.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) string {
	pooled, ok := s.bodies.read(w, r, MaxStatsBody)
	if !ok {
		return protocol.CodeBodyTooLarge
	}
	// Nothing decoded below refers to the body's bytes once the handler
	// returns: strings and raw values are copies.
	defer s.bodies.put(pooled)
	body := *pooled
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	batch := len(trimmed) > 0 && trimmed[0] == '['
	var raws []jsontext.Value
	if batch {
		if err := s.dj.unmarshal(body, &raws); err != nil {
			writeError(w, http.StatusBadRequest, protocol.CodeInvalidJSONBody, jsonProblem(err))
			return protocol.CodeInvalidJSONBody
		}
		switch {
		case len(raws) == 0:
			writeJSON(w, http.StatusOK, protocol.StatsReply{Status: "ok", Results: []protocol.StatsResult{}})
			return "ok"
		case len(raws) > protocol.MaxStatsBatch:
			writeError(w, http.StatusBadRequest, protocol.CodeTooManyEvents,
				fmt.Sprintf("batch of %d events is over the limit of %d", len(raws), protocol.MaxStatsBatch))
			return protocol.CodeTooManyEvents
		}
	} else {
		raws = []jsontext.Value{body}
	}

	now := s.now()
	events := make([]store.Event, 0, len(raws))
	infos := make([]protocol.Info, 0, len(raws))
	errs := make([]*itemError, len(raws))
	appID := ""
	for i, raw := range raws {
		ev, in, ie := s.dj.decodeEvent(raw)
		if ie != nil {
			errs[i] = ie
			continue
		}
		if appID == "" {
			appID = ev.AppID
		} else if ev.AppID != appID {
			// 200 as the backend answers it: the plugin would drop the
			// batch on a 4xx anyway, and nothing of it is stored.
			writeError(w, http.StatusOK, protocol.CodeMixedAppIDs,
				fmt.Sprintf("event %d has app_id %q, the batch has %q: one app_id per batch", i, ev.AppID, appID))
			return protocol.CodeMixedAppIDs
		}
		ev.ReceivedAt = now
		events = append(events, ev)
		infos = append(infos, in)
	}
	if !batch && errs[0] != nil {
		writeError(w, http.StatusBadRequest, errs[0].code, errs[0].msg)
		s.metrics.statsEvent("invalid")
		return errs[0].code
	}
	if appID != "" && s.snapshot().Apps[appID] == nil {
		writeError(w, http.StatusTooManyRequests, protocol.CodeOnPremiseApp, "On-premise app detected")
		return protocol.CodeOnPremiseApp
	}
	if len(events) > 0 {
		deltas := countDeltas(events)
		// Not the request's context: a client that hangs up must not leave
		// events committed to disk but missing from the in-memory counts.
		if err := s.st.WriteEvents(context.WithoutCancel(r.Context()), events, deltas); err != nil {
			s.log.Error("stats: store events", "app_id", appID, "events", len(events), "err", err)
			// 503: the plugin retries the batch on 5xx.
			writeError(w, http.StatusServiceUnavailable, protocol.CodeServerError, "cannot store events, retry later")
			return protocol.CodeServerError
		}
		s.tally.addCounts(deltas)
		s.feedGuards(appID, events, infos)
		for _, e := range events {
			s.metrics.statsEvent(e.Action)
		}
	}
	if !batch {
		writeJSON(w, http.StatusOK, protocol.StatusOK{Status: "ok"})
		return "ok"
	}
	rep := protocol.StatsReply{Status: "ok", Results: make([]protocol.StatsResult, len(raws))}
	for i := range raws {
		rep.Results[i] = protocol.StatsResult{Status: "ok", Index: i}
		if e := errs[i]; e != nil {
			rep.Results[i] = protocol.StatsResult{Status: "error", Index: i, Error: e.code, Message: e.msg}
			s.metrics.statsEvent("invalid")
		}
	}
	writeJSON(w, http.StatusOK, rep)
	return "ok"
}

// decodeEvent decodes and validates one event; it also returns the
// device's info object.
func (d wireDecoder) decodeEvent(raw jsontext.Value) (store.Event, protocol.Info, *itemError) {
	var we wireEvent
	if err := d.unmarshal(raw, &we); err != nil {
		return store.Event{}, protocol.Info{}, &itemError{protocol.CodeInvalidJSONBody, jsonProblem(err)}
	}
	if we.VersionName != nil {
		we.Info.VersionName = *we.VersionName
	}
	chk := checkInfo(&we.wireInfo, fieldSet{})
	if we.VersionName == nil {
		chk.missing = append(chk.missing, "version_name")
	}
	if len(chk.invalid) > 0 {
		return store.Event{}, protocol.Info{}, &itemError{protocol.CodeInvalidJSONBody, chk.invalidMsg()}
	}
	if len(chk.missing) > 0 {
		return store.Event{}, protocol.Info{}, &itemError{protocol.CodeMissingInfo, chk.missingMsg()}
	}
	if we.Action == "" {
		return store.Event{}, protocol.Info{}, &itemError{protocol.CodeMissingInfo, "missing action"}
	}
	if !protocol.KnownAction(we.Action) {
		return store.Event{}, protocol.Info{}, &itemError{protocol.CodeInvalidAction, fmt.Sprintf("unknown action %.64q", we.Action)}
	}
	meta, ie := d.decodeMetadata(we.Metadata)
	if ie != nil {
		return store.Event{}, protocol.Info{}, ie
	}
	in := we.info()
	return store.Event{AppID: in.AppID, DeviceID: in.DeviceID, Action: we.Action, VersionName: in.VersionName,
		OldVersionName: we.OldVersionName, VersionBuild: in.VersionBuild, Platform: in.Platform, IsProd: in.IsProd, IsEmulator: in.IsEmulator,
		Timestamp: we.Timestamp, Metadata: meta}, in, nil
}

func (d wireDecoder) decodeMetadata(raw jsontext.Value) (map[string]string, *itemError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]jsontext.Value
	if err := d.unmarshal(raw, &m); err != nil {
		return nil, &itemError{protocol.CodeInvalidMetadata, "metadata must be an object with string values"}
	}
	if len(m) > protocol.MaxMetadataKeys {
		return nil, &itemError{protocol.CodeInvalidMetadata,
			"metadata has " + strconv.Itoa(len(m)) + " keys, at most " + strconv.Itoa(protocol.MaxMetadataKeys) + " allowed"}
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if len(k) > maxMetadataKey {
			return nil, &itemError{protocol.CodeInvalidMetadata, fmt.Sprintf("metadata key %.20q... is over %d characters", k, maxMetadataKey)}
		}
		var sv string
		if err := d.unmarshal(v, &sv); err != nil {
			return nil, &itemError{protocol.CodeInvalidMetadata, fmt.Sprintf("metadata value of %.64q must be a string", k)}
		}
		if len(sv) > maxMetadataValue {
			return nil, &itemError{protocol.CodeInvalidMetadata, fmt.Sprintf("metadata value of %.64q is over %d characters", k, maxMetadataValue)}
		}
		out[k] = sv
	}
	return out, nil
}

// countDeltas applies the accounting rules: for prod, non-emulator
// devices, set counts an install of version_name and an uninstall of
// old_version_name; every *_fail action counts a failure of version_name.
// A "builtin" name counts for the bundle named after the device's native
// version, as for active devices.
func countDeltas(events []store.Event) []store.CountDelta {
	var out []store.CountDelta
	for _, e := range events {
		if !e.IsProd || e.IsEmulator {
			continue
		}
		name, old := bundleName(e.VersionName, e.VersionBuild), bundleName(e.OldVersionName, e.VersionBuild)
		switch {
		case e.Action == protocol.ActionSet:
			if name != "" {
				out = append(out, store.CountDelta{AppID: e.AppID, Bundle: name, Kind: store.KindInstall, N: 1})
			}
			if old != "" && old != name {
				out = append(out, store.CountDelta{AppID: e.AppID, Bundle: old, Kind: store.KindUninstall, N: 1})
			}
		case protocol.IsFailure(e.Action) && name != "":
			out = append(out, store.CountDelta{AppID: e.AppID, Bundle: name, Kind: e.Action, N: 1})
		}
	}
	return out
}

// bundleName is the bundle a reported version name stands for.
func bundleName(name, build string) string {
	if name == protocol.Builtin && build != "" {
		return build
	}
	return name
}
