package refserver

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/faults"
)

func deviceIDOf(r *http.Request) (string, error) {
	id := strings.ToLower(r.PathValue("device"))
	if id == "" || len(id) > protocol.MaxDeviceIDLen {
		return "", badRequest(errors.New("device_id must be 1 to 36 characters"))
	}
	return id, nil
}

func (s *Server) adminSetOverride(r *http.Request) (int, any, error) {
	var req struct {
		Channel string `json:"channel"`
	}
	if err := decodeStrict(r, &req); err != nil {
		return 0, nil, err
	}
	dev, err := deviceIDOf(r)
	if err != nil {
		return 0, nil, err
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	a, err := s.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	ch := a.Channel(req.Channel)
	if ch == nil {
		return 0, nil, notFound("channel %q not found in %s", req.Channel, a.ID)
	}
	if err := s.st.SetOverride(r.Context(), a.ID, dev, ch.ID); err != nil {
		return 0, nil, err
	}
	s.overrides.set(a.ID, dev, ch.Name)
	return http.StatusOK, map[string]string{"device_id": dev, "channel": ch.Name}, nil
}

func (s *Server) adminDeleteOverride(r *http.Request) (int, any, error) {
	dev, err := deviceIDOf(r)
	if err != nil {
		return 0, nil, err
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	a, err := s.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	ok, err := s.st.DeleteOverride(r.Context(), a.ID, dev)
	if err != nil {
		return 0, nil, err
	}
	s.overrides.remove(a.ID, dev)
	if !ok {
		return 0, nil, notFound("device %q has no override", dev)
	}
	return http.StatusOK, protocol.StatusOK{Status: "ok"}, nil
}

type deviceJSON struct {
	DeviceID        string     `json:"device_id"`
	ChannelOverride string     `json:"channel_override"`
	VersionName     string     `json:"version_name"`
	VersionBuild    string     `json:"version_build"`
	Platform        string     `json:"platform"`
	LastSeen        *time.Time `json:"last_seen"`
}

func (s *Server) adminGetDevice(r *http.Request) (int, any, error) {
	dev, err := deviceIDOf(r)
	if err != nil {
		return 0, nil, err
	}
	a, err := s.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	st, seen := s.tally.device(a.ID, dev)
	ov := s.overrides.get(a.ID, dev)
	if !seen && ov == "" {
		return 0, nil, notFound("device %q is not known", dev)
	}
	return http.StatusOK, deviceJSON{DeviceID: dev, ChannelOverride: ov, VersionName: st.version,
		VersionBuild: st.build, Platform: st.platform, LastSeen: timePtr(st.seen)}, nil
}

func (s *Server) adminGetFaults(*http.Request) (int, any, error) {
	return http.StatusOK, s.faults.Load(), nil
}

func (s *Server) adminPutFaults(r *http.Request) (int, any, error) {
	var k faults.Knobs
	if err := decodeStrict(r, &k); err != nil {
		return 0, nil, err
	}
	if err := s.faults.Store(k); err != nil {
		return 0, nil, badRequest(err)
	}
	s.log.Info("fault knobs changed", "cdn", k.CDN, "api", k.API)
	return http.StatusOK, s.faults.Load(), nil
}
