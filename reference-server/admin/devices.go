package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/faults"
	"github.com/otasim/otasim/reference-server/live"
)

func deviceIDOf(r *http.Request) (string, error) {
	id := strings.ToLower(r.PathValue("device"))
	if id == "" || len(id) > protocol.MaxDeviceIDLen {
		return "", badRequest(errors.New("device_id must be 1 to 36 characters"))
	}
	return id, nil
}

func (a *API) setOverride(r *http.Request) (int, any, error) {
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
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.st.SetOverride(r.Context(), app.ID, dev, req.Channel); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"device_id": dev, "channel": req.Channel}, nil
}

func (a *API) deleteOverride(r *http.Request) (int, any, error) {
	dev, err := deviceIDOf(r)
	if err != nil {
		return 0, nil, err
	}
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	ok, err := a.st.DeleteOverride(r.Context(), app.ID, dev)
	if err != nil {
		return 0, nil, err
	}
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

func (a *API) getDevice(r *http.Request) (int, any, error) {
	dev, err := deviceIDOf(r)
	if err != nil {
		return 0, nil, err
	}
	app, err := a.appOf(r)
	if err != nil {
		return 0, nil, err
	}
	st, seen := a.st.Device(app.ID, dev)
	ov := a.st.Override(app.ID, dev)
	if !seen && ov == "" {
		return 0, nil, notFound("device %q is not known", dev)
	}
	return http.StatusOK, deviceJSON{DeviceID: dev, ChannelOverride: ov, VersionName: st.Version,
		VersionBuild: st.Build, Platform: st.Platform, LastSeen: live.TimePtr(st.Seen)}, nil
}

func (a *API) getFaults(*http.Request) (int, any, error) {
	return http.StatusOK, a.faults.Load(), nil
}

func (a *API) putFaults(r *http.Request) (int, any, error) {
	var k faults.Knobs
	if err := decodeStrict(r, &k); err != nil {
		return 0, nil, err
	}
	if err := a.faults.Store(k); err != nil {
		return 0, nil, badRequest(err)
	}
	a.log.Info("fault knobs changed", "cdn", k.CDN, "api", k.API)
	return http.StatusOK, a.faults.Load(), nil
}
