package refserver

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
)

// handleChannelSelf serves the four methods of /channel_self as the
// backend's channel_self plugin (plugins/channel_self.ts:694-801): POST sets
// the device's channel, PUT tells it, DELETE unsets it (these two read the
// info object from the query string), GET lists the channels a device may
// pick. Plugins that keep their choice themselves (DeviceKeepsChannel)
// only have it checked; for older ones the server keeps it as the device's
// override, which /updates uses.
func (s *Server) handleChannelSelf(w http.ResponseWriter, r *http.Request) string {
	var wb wireBody
	invalid := protocol.CodeInvalidJSONBody
	if r.Method == http.MethodGet || r.Method == http.MethodDelete {
		wb, invalid = queryBody(r.URL.Query()), protocol.CodeInvalidQueryParameters
	} else {
		body, ok := s.bodies.read(w, r, MaxUpdatesBody)
		if !ok {
			return protocol.CodeBodyTooLarge
		}
		err := s.dj.decodeBody(*body, &wb)
		s.bodies.put(body)
		if err != nil {
			return s.reject(w, invalidJSON())
		}
		if rej := parseBodyCrash(&wb); rej != nil {
			return s.reject(w, rej)
		}
	}
	o := parseOpts{schema: channelSelfSchema, invalidCode: invalid, requireDevice: true}
	if r.Method == http.MethodGet {
		o.schema, o.requireDevice = channelListSchema, false
	}
	if rej := parsePluginBody(&wb, o); rej != nil {
		return s.reject(w, rej)
	}
	in := wb.info()
	now, ip := s.now(), clientIP(r)
	if limited, reset := s.self.ipLimited(in.AppID, ip, now); limited {
		return s.tooMany(w, now, reset, "reason", "ip_rate_limit_exceeded", "app_id", in.AppID)
	}
	op := operation(r.Method)
	channel := ""
	if op == "set" {
		if channel = wb.Channel.str; channel == "" {
			writeReply(w, s.ctypeJSON, http.StatusOK, plainError(protocol.CodeMissingChannel, "Cannot find channel in body"))
			return protocol.CodeMissingChannel
		}
	}
	device := in.DeviceID
	if device != "" {
		if limited, reset := s.self.limited(in.AppID, device, op, channel, now); limited {
			return s.tooMany(w, now, reset, "app_id", in.AppID, "device_id", device)
		}
		defer s.self.record(in.AppID, device, op, channel, now)
	}
	defer s.self.recordIP(in.AppID, ip, now)
	app := s.state.Snapshot().Apps[in.AppID]
	if app == nil {
		writeReply(w, s.ctypeJSON, http.StatusTooManyRequests, s.replies.onPremise)
		return protocol.CodeOnPremiseApp
	}
	// An unparsable plugin_version is taken for an old plugin, a missing one
	// for 0.0.0 (plugins/channel_self.ts:169-180).
	pv := in.PluginVersion
	if pv == "" {
		pv = "0.0.0"
	}
	plugin, ok := s.plugins.parse(pv)
	keeps := ok && plugin.Has(release.DeviceKeepsChannel)
	var current *release.Channel
	if !keeps {
		current = app.Channel(s.state.Override(app.ID, device))
	}
	switch op {
	case "set":
		return s.selfOutcome(w, r.Context(), app, device, channel, release.SelfSet(app, current, channel, in.Platform, keeps),
			"Cannot do channel override")
	case "get":
		rep, code := release.SelfGet(app, current, wb.Channel.str, in.DefaultChannel, in.Platform, keeps)
		if code != "" {
			writeReply(w, s.ctypeJSON, http.StatusOK, plainError(code, "Cannot find channel"))
			return code
		}
		return s.writeJSON(w, rep)
	case "delete":
		return s.selfOutcome(w, r.Context(), app, device, "", release.SelfUnset(current, keeps), "Cannot delete channel override")
	}
	return s.writeJSON(w, release.SelfList(app, in.Platform, in.IsEmulator, in.IsProd))
}

// operation is the backend's name of a method's operation, the key of its
// rate limit.
func operation(method string) string {
	switch method {
	case http.MethodPost:
		return "set"
	case http.MethodPut:
		return "get"
	case http.MethodDelete:
		return "delete"
	}
	return "list"
}

// selfOutcome carries out a set or an unset and writes its reply.
func (s *Server) selfOutcome(w http.ResponseWriter, ctx context.Context, app *release.App, device, channel string,
	out release.SelfOutcome, storeFailed string) string {
	if out.Code != "" {
		var details []string
		if out.Detail {
			details = []string{"channel", channel, "app_id", app.ID}
		}
		writeReply(w, s.ctypeJSON, http.StatusOK, plainError(out.Code, out.Message, details...))
		return out.Code
	}
	var err error
	switch out.Action {
	case release.StoreOverride:
		err = s.state.SetOverride(ctx, app.ID, device, out.Channel.Name)
	case release.DropOverride:
		if _, err = s.state.DeleteOverride(ctx, app.ID, device); err != nil && channel != "" {
			storeFailed = "Cannot remove channel override"
		}
	}
	if err != nil {
		s.log.Error("channel_self: cannot store the device's channel", "app_id", app.ID, "err", err)
		writeReply(w, s.ctypeJSON, http.StatusOK, plainError(protocol.CodeOverrideNotAllowed, storeFailed))
		return protocol.CodeOverrideNotAllowed
	}
	if out.DeviceKeeps && channel != "" {
		return s.writeJSON(w, protocol.ChannelSetReply{Status: "ok", AllowSet: out.Channel.Policy.AllowSelfSet})
	}
	writeReply(w, s.ctypeJSON, http.StatusOK, s.replies.statusOK)
	return "ok"
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return s.reject(w, crash(err.Error()))
	}
	writeReply(w, s.ctypeJSON, http.StatusOK, append(raw, '\n'))
	return "ok"
}

// tooMany writes the backend's 429 too_many_requests with when the limit
// resets (utils/hono.ts:303-309, on_error.ts:170-192, rateLimitInfo.ts).
func (s *Server) tooMany(w http.ResponseWriter, now, reset time.Time, details ...string) string {
	resetMS := reset.UnixMilli()
	retry := int64(math.Max(0, math.Ceil(float64(resetMS-now.UnixMilli())/1000)))
	var b strings.Builder
	b.WriteString(`{"error":"too_many_requests","message":"Too many requests","moreInfo":{`)
	for i := 0; i+1 < len(details); i += 2 {
		b.Write(appendJSONString(nil, details[i]))
		b.WriteByte(':')
		b.Write(appendJSONString(nil, details[i+1]))
		b.WriteByte(',')
	}
	b.WriteString(`"rateLimitResetAt":` + strconv.FormatInt(resetMS, 10) + `,"retryAfterSeconds":` + strconv.FormatInt(retry, 10) + "}}\n")
	h := w.Header()
	h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(resetMS)/1000)), 10))
	h.Set("Retry-After", strconv.FormatInt(retry, 10))
	writeReply(w, s.ctypeJSON, http.StatusTooManyRequests, []byte(b.String()))
	return protocol.CodeTooManyRequests
}

// queryBody reads the info object from query parameters as the backend's
// convertQueryToBody (utils/plugin_parser.ts:87-113): no parameter at all
// is an empty body; otherwise every field is a string or absent, the
// device id is lowercased, is_emulator is true only for "true" and is_prod
// unless it is given and is not "true".
func queryBody(q url.Values) wireBody {
	wb := wireBody{top: jsObject, keys: len(q) > 0}
	if len(q) == 0 {
		return wb
	}
	str := func(name string) jsField {
		vs, ok := q[name]
		if !ok {
			return jsField{}
		}
		return jsField{kind: jsString, str: vs[0], truth: vs[0] != ""}
	}
	wb.VersionName, wb.VersionBuild, wb.Platform = str("version_name"), str("version_build"), str("platform")
	wb.AppID, wb.DeviceID, wb.PluginVersion = str("app_id"), str("device_id"), str("plugin_version")
	wb.DefaultChannel, wb.Channel, wb.CustomID = str("defaultChannel"), str("channel"), str("custom_id")
	wb.InstallSource, wb.VersionOS, wb.KeyID = str("install_source"), str("version_os"), str("key_id")
	wb.DeviceID.str = strings.ToLower(wb.DeviceID.str)
	boolean := func(name, def string) jsField {
		v := def
		if vs, ok := q[name]; ok {
			v = vs[0]
		}
		return jsField{kind: jsBool, truth: v == "true"}
	}
	wb.IsEmulator, wb.IsProd = boolean("is_emulator", "false"), boolean("is_prod", "true")
	return wb
}
