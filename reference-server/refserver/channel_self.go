package refserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
)

// wireChannelSelf decodes a /channel_self body: the info object and the
// channel asked for.
type wireChannelSelf struct {
	wireInfo
	Channel string `json:"channel"`
}

// handleChannelSelf serves the four methods of /channel_self.
func (s *Server) handleChannelSelf(w http.ResponseWriter, r *http.Request) string {
	var req wireChannelSelf
	if r.Method == http.MethodGet {
		var err error
		if req, err = channelSelfFromQuery(r.URL.Query()); err != nil {
			writeError(w, http.StatusBadRequest, protocol.CodeInvalidJSONBody, err.Error())
			return protocol.CodeInvalidJSONBody
		}
	} else {
		body, ok := readBody(w, r, MaxUpdatesBody)
		if !ok {
			return protocol.CodeBodyTooLarge
		}
		if len(body) == 0 && r.Method == http.MethodDelete {
			// DELETE may carry the info as query parameters.
			var err error
			if req, err = channelSelfFromQuery(r.URL.Query()); err != nil {
				writeError(w, http.StatusBadRequest, protocol.CodeInvalidJSONBody, err.Error())
				return protocol.CodeInvalidJSONBody
			}
		} else if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, protocol.CodeInvalidJSONBody, jsonProblem(err))
			return protocol.CodeInvalidJSONBody
		}
	}
	chk := checkInfo(&req.wireInfo, fieldSet{})
	if r.Method == http.MethodGet {
		// GET lists channels: the backend needs no device id for it.
		chk.missing = without(chk.missing, "device_id")
	}
	if len(chk.invalid) > 0 {
		writeError(w, http.StatusBadRequest, protocol.CodeInvalidJSONBody, chk.invalidMsg())
		return protocol.CodeInvalidJSONBody
	}
	in := req.info()
	app := s.snapshot().Apps[in.AppID]
	if app == nil && in.AppID != "" {
		writeError(w, http.StatusTooManyRequests, protocol.CodeOnPremiseApp, "On-premise app detected")
		return protocol.CodeOnPremiseApp
	}
	if len(chk.missing) > 0 {
		writeError(w, http.StatusBadRequest, protocol.CodeMissingInfo, chk.missingMsg())
		return protocol.CodeMissingInfo
	}
	switch r.Method {
	case http.MethodPost:
		return s.channelSelfSet(w, app, in, req.Channel)
	case http.MethodPut:
		return s.channelSelfGet(w, app, in, req.Channel)
	case http.MethodGet:
		return channelSelfList(w, app, in)
	default:
		return s.channelSelfUnset(w, r, app, in)
	}
}

// channelSelfSet checks a self-assignment. The v8 plugin stores the
// channel itself and sends it as defaultChannel, so nothing is stored here.
// Refusals are 200 replies with the error JSON, as the backend's.
func (s *Server) channelSelfSet(w http.ResponseWriter, app *release.App, in protocol.Info, name string) string {
	if name == "" {
		writeError(w, http.StatusOK, protocol.CodeMissingChannel, "missing channel")
		return protocol.CodeMissingChannel
	}
	ch := app.Channel(name)
	if ch == nil || !ch.Policy.AllowsPlatform(in.Platform) {
		writeError(w, http.StatusOK, protocol.CodeChannelNotFound, "channel "+strconv.Quote(name)+" not found")
		return protocol.CodeChannelNotFound
	}
	if !ch.Policy.AllowSelfSet {
		writeError(w, http.StatusOK, protocol.CodeChannelSelfSetNotAllow,
			"channel "+strconv.Quote(name)+" does not allow devices to assign themselves")
		return protocol.CodeChannelSelfSetNotAllow
	}
	writeJSON(w, http.StatusOK, protocol.ChannelSetReply{Status: "ok", AllowSet: true})
	return "ok"
}

// channelSelfGet tells a device its channel and where it comes from: an
// admin override; else the channel the device stored itself and sends
// along (the v8 plugin keeps self-assignments locally); else its
// defaultChannel or the public default.
func (s *Server) channelSelfGet(w http.ResponseWriter, app *release.App, in protocol.Info, local string) string {
	override := s.overrides.get(in.AppID, in.DeviceID)
	if override == "" && local != "" {
		writeJSON(w, http.StatusOK, protocol.ChannelGetReply{Channel: local, Status: protocol.ChannelStatusOverride, AllowSet: true})
		return "ok"
	}
	ch, viaOverride, ok := release.Resolve(app, in, override)
	if !ok {
		writeError(w, http.StatusOK, protocol.CodeChannelNotFound, "no channel for this device")
		return protocol.CodeChannelNotFound
	}
	status := protocol.ChannelStatusDefault
	if viaOverride {
		status = protocol.ChannelStatusOverride
	}
	writeJSON(w, http.StatusOK, protocol.ChannelGetReply{Channel: ch.Name, Status: status, AllowSet: ch.Policy.AllowSelfSet})
	return "ok"
}

// channelSelfList lists the channels a device may assign itself to.
func channelSelfList(w http.ResponseWriter, app *release.App, in protocol.Info) string {
	out := []protocol.ChannelListItem{}
	for _, ch := range app.Channels {
		p := ch.Policy
		if !p.AllowSelfSet || !p.AllowsPlatform(in.Platform) ||
			(in.IsProd && !p.AllowProd) || (!in.IsProd && !p.AllowDev) ||
			(in.IsEmulator && !p.AllowEmulator) || (!in.IsEmulator && !p.AllowDevice) {
			continue
		}
		out = append(out, protocol.ChannelListItem{ID: ch.ID, Name: ch.Name, Public: p.Public, AllowSelfSet: p.AllowSelfSet})
	}
	writeJSON(w, http.StatusOK, out)
	return "ok"
}

// channelSelfUnset clears a device's override.
func (s *Server) channelSelfUnset(w http.ResponseWriter, r *http.Request, app *release.App, in protocol.Info) string {
	if s.overrides.get(app.ID, in.DeviceID) != "" {
		s.adminMu.Lock()
		_, err := s.st.DeleteOverride(r.Context(), app.ID, in.DeviceID)
		if err == nil {
			s.overrides.remove(app.ID, in.DeviceID)
		}
		s.adminMu.Unlock()
		if err != nil {
			s.log.Error("channel_self: delete override", "app_id", app.ID, "err", err)
			writeError(w, http.StatusServiceUnavailable, protocol.CodeServerError, "cannot clear the override, retry later")
			return protocol.CodeServerError
		}
	}
	writeJSON(w, http.StatusOK, protocol.StatusOK{Status: "ok"})
	return "ok"
}

// channelSelfFromQuery reads the info object from query parameters.
func channelSelfFromQuery(q url.Values) (wireChannelSelf, error) {
	var req wireChannelSelf
	in := &req.Info
	for name, dst := range map[string]*string{
		"app_id": &in.AppID, "device_id": &in.DeviceID, "platform": &in.Platform,
		"version_name": &in.VersionName, "version_build": &in.VersionBuild,
		"plugin_version": &in.PluginVersion, "defaultChannel": &in.DefaultChannel,
		"custom_id": &in.CustomID, "key_id": &in.KeyID, "channel": &req.Channel,
	} {
		*dst = q.Get(name)
	}
	for name, dst := range map[string]**bool{"is_emulator": &req.IsEmulator, "is_prod": &req.IsProd} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return req, &queryError{name}
			}
			*dst = &b
		}
	}
	return req, nil
}

type queryError struct{ name string }

func (e *queryError) Error() string { return "query parameter " + e.name + " must be true or false" }

func without(list []string, drop string) []string {
	out := list[:0:0]
	for _, v := range list {
		if v != drop {
			out = append(out, v)
		}
	}
	return out
}
