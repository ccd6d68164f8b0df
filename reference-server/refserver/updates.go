package refserver

import (
	"net/http"
	"strings"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// handleUpdates answers POST /updates as the backend's updates plugin
// (plugins/updates.ts:21-41, utils/update.ts): the body is checked as
// parsePluginBody does, then Decide answers from the snapshot in force. It
// never touches disk (the device's last check is persisted
// asynchronously).
func (s *Server) handleUpdates(w http.ResponseWriter, r *http.Request) string {
	body, ok := s.bodies.read(w, r, MaxUpdatesBody)
	if !ok {
		return protocol.CodeBodyTooLarge
	}
	var wb wireBody
	err := s.dj.decodeBody(*body, &wb)
	s.bodies.put(body) // the decoded strings are copies
	if err != nil {
		return s.reject(w, invalidJSON())
	}
	if rej := parseBodyCrash(&wb); rej != nil {
		return s.reject(w, rej)
	}
	if rej := parsePluginBody(&wb, parseOpts{schema: updateSchema, invalidCode: protocol.CodeInvalidJSONBody, requireDevice: true}); rej != nil {
		return s.reject(w, rej)
	}
	in := wb.info()
	ip := clientIP(r)
	snap := s.state.Snapshot()
	now := s.now()
	if snap.Apps[in.AppID] == nil {
		// An unknown app counts against the address (utils/update.ts:289-296).
		if s.enum.miss(ip, in.AppID, now) {
			writeReply(w, s.ctypeJSON, http.StatusTooManyRequests, s.replies.enumerationLimited)
			return protocol.CodeOnPremiseApp
		}
		writeReply(w, s.ctypeJSON, http.StatusTooManyRequests, s.replies.onPremise)
		return protocol.CodeOnPremiseApp
	}
	if limited, _ := s.enum.limitedUntil(ip, now); limited {
		writeReply(w, s.ctypeJSON, http.StatusTooManyRequests, s.replies.enumerationLimited)
		return protocol.CodeOnPremiseApp
	}
	// The schema accepted the plugin version, so it parses.
	plugin, _ := s.plugins.parse(in.PluginVersion)
	d := release.Decide(snap, release.Request{Info: in, Plugin: plugin, Override: s.state.Override(in.AppID, in.DeviceID)})
	s.state.Touch(store.Device{AppID: in.AppID, DeviceID: in.DeviceID, Platform: in.Platform,
		VersionName: in.VersionName, VersionBuild: in.VersionBuild, LastSeen: now})
	if b := d.Offer; b != nil {
		writeReply(w, s.ctypeJSON, http.StatusOK, b.Replies[release.ReplyKind(d.Metadata, d.Manifest)])
		return "update"
	}
	writeReply(w, s.ctypeJSON, http.StatusOK, s.replies.refusal(d.Refusal))
	return d.Refusal.Code
}

// parseBodyCrash is the exception the backend's parseBody throws
// (utils/hono.ts:318-330): it lowercases a truthy device_id, which fails on
// a null body or a device_id that is no string; the reply is a 500.
func parseBodyCrash(wb *wireBody) *rejection {
	switch {
	case wb.top == jsNull:
		return crash("Cannot read properties of null (reading 'device_id')")
	case wb.DeviceID.truth && !wb.DeviceID.isString():
		return crash("body.device_id.toLowerCase is not a function")
	}
	wb.DeviceID.str = strings.ToLower(wb.DeviceID.str)
	return nil
}
