package refserver

import (
	"net/http"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
	"github.com/otasim/otasim/reference-server/store"
)

// handleUpdates answers POST /updates from the snapshot in force; it never
// touches disk (the device's last check is persisted asynchronously).
func (s *Server) handleUpdates(w http.ResponseWriter, r *http.Request) string {
	body, ok := s.bodies.read(w, r, MaxUpdatesBody)
	if !ok {
		return protocol.CodeBodyTooLarge
	}
	var wi wireInfo
	err := s.dj.unmarshal(*body, &wi)
	s.bodies.put(body) // the decoded strings are copies
	if err != nil {
		writeError(w, http.StatusBadRequest, protocol.CodeInvalidJSONBody, jsonProblem(err))
		return protocol.CodeInvalidJSONBody
	}
	chk := checkInfo(&wi, fieldSet{versionBuild: true, pluginVersion: true})
	if len(chk.invalid) > 0 {
		writeError(w, http.StatusBadRequest, protocol.CodeInvalidJSONBody, chk.invalidMsg())
		return protocol.CodeInvalidJSONBody
	}
	in := wi.info()
	snap := s.snapshot()
	if snap.Apps[in.AppID] != nil && len(chk.missing) > 0 {
		writeError(w, http.StatusOK, protocol.CodeMissingInfo, chk.missingMsg())
		return protocol.CodeMissingInfo
	}
	d := release.Decide(snap, release.Request{Info: in, Override: s.overrides.get(in.AppID, in.DeviceID)})
	if d.Status == http.StatusOK {
		now := s.now()
		// A device on its builtin bundle runs the bundle named after its
		// native version (the demo registers 1.0.0 as the builtin).
		persist := s.tally.touch(in.AppID, in.DeviceID, deviceState{version: bundleName(in.VersionName, in.VersionBuild),
			build: in.VersionBuild, platform: in.Platform, seen: now})
		if persist {
			s.st.TouchDevice(store.Device{AppID: in.AppID, DeviceID: in.DeviceID, Platform: in.Platform,
				VersionName: in.VersionName, VersionBuild: in.VersionBuild, LastSeen: now})
		}
	}
	switch {
	case d.Offered != nil && d.Offered.Reply != nil:
		writeRaw(w, s.ctypeJSON, http.StatusOK, d.Offered.Reply)
		return "update"
	case d.Update != nil:
		writeJSON(w, http.StatusOK, d.Update)
		return "update"
	}
	if raw, ok := s.constReplies[d.Err]; ok && d.Status == http.StatusOK {
		writeRaw(w, s.ctypeJSON, http.StatusOK, raw)
		return d.Err.Error
	}
	writeJSON(w, d.Status, d.Err)
	return d.Err.Error
}
