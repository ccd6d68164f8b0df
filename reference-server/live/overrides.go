package live

import (
	"cmp"
	"context"
	"errors"
	"sync"
)

// overrides holds per-device channel overrides: an operator's pin, or the
// channel a legacy plugin chose through /channel_self (the backend keeps
// both in channel_devices). They live beside the snapshot, not in it,
// because there may be many and copying them on every admin change would
// cost more than a lock.
type overrides struct {
	mu  sync.RWMutex
	m   map[overrideKey]string
	max int
}

type overrideKey struct{ app, device string }

func (o *overrides) init(max int) {
	o.m = map[overrideKey]string{}
	o.max = cmp.Or(max, DefaultMaxDevices)
}

// full reports whether a new device's override finds no room.
func (o *overrides) full(app, device string) bool {
	o.mu.RLock()
	defer o.mu.RUnlock()
	_, ok := o.m[overrideKey{app, device}]
	return !ok && len(o.m) >= o.max
}

func (o *overrides) get(app, device string) string {
	o.mu.RLock()
	c := o.m[overrideKey{app, device}]
	o.mu.RUnlock()
	return c
}

func (o *overrides) set(app, device, channel string) {
	o.mu.Lock()
	o.m[overrideKey{app, device}] = channel
	o.mu.Unlock()
}

func (o *overrides) remove(app, device string) {
	o.mu.Lock()
	delete(o.m, overrideKey{app, device})
	o.mu.Unlock()
}

// Override returns the channel a device is pinned to, or "".
func (s *State) Override(appID, deviceID string) string { return s.overrides.get(appID, deviceID) }

// SetOverride pins a device (lowercased id) to a channel of its app; it
// fails when the app or the channel does not exist (any more).
func (s *State) SetOverride(ctx context.Context, appID, deviceID, channel string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.snap.Load().Apps[appID]
	if a == nil {
		return &NotFoundError{"app " + appID}
	}
	ch := a.Channel(channel)
	if ch == nil {
		return &NotFoundError{"channel " + channel + " in " + appID}
	}
	if s.overrides.full(appID, deviceID) {
		return ErrTooManyOverrides
	}
	if err := s.st.SetOverride(ctx, appID, deviceID, ch.ID); err != nil {
		return err
	}
	s.overrides.set(appID, deviceID, ch.Name)
	return nil
}

// DeleteOverride removes a device's override and reports whether it had
// one.
func (s *State) DeleteOverride(ctx context.Context, appID, deviceID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, err := s.st.DeleteOverride(ctx, appID, deviceID)
	if err != nil {
		return false, err
	}
	s.overrides.remove(appID, deviceID)
	return ok, nil
}

// ErrTooManyOverrides refuses an override of a new device when the server
// holds its maximum (Config.MaxDevices) of them: legacy plugins choose
// their channel through /channel_self, and each choice is kept.
var ErrTooManyOverrides = errors.New("live: the server holds its maximum of device overrides")

// NotFoundError says what a change refers to that does not exist.
type NotFoundError struct{ What string }

func (e *NotFoundError) Error() string { return e.What + " not found" }
