package refserver

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// The backend's limits of /channel_self (utils/channelSelfRateLimit.ts) and
// of app-id enumeration on /updates (utils/updateOracleGuard.ts).
const (
	// opLimit calls of one operation by one device within opWindow.
	opLimit  = 5
	opWindow = time.Second
	// sameSetWindow: the same device may not set the same channel again
	// within it.
	sameSetWindow = 60 * time.Second
	// DefaultChannelSelfIPLimit calls of /channel_self for one app from one
	// address within ipWindow (RATE_LIMIT_CHANNEL_SELF_IP).
	DefaultChannelSelfIPLimit = 1000
	ipWindow                  = 60 * time.Second
	// enumerationMisses unknown apps asked for from one address within
	// enumerationWindow get that address refused for the window.
	enumerationMisses = 5
	enumerationWindow = 15 * time.Minute
	// maxLimitKeys bounds each table; past it, after the expired entries
	// are swept, new keys are not limited (memory stays bounded under any
	// load).
	maxLimitKeys = 1 << 20
)

// clientIP is the client's address as the backend reads it
// (utils/rate_limit.ts:36-57): cf-connecting-ip, else the first
// x-forwarded-for, else x-real-ip, else none, and then the address limits
// do not apply. The socket's address is not used: behind Cloudflare it is
// Cloudflare's.
func clientIP(r *http.Request) string {
	if ip := r.Header.Get("Cf-Connecting-Ip"); ip != "" {
		return ip
	}
	if ff := r.Header.Get("X-Forwarded-For"); ff != "" {
		first, _, _ := strings.Cut(ff, ",")
		return strings.TrimSpace(first)
	}
	return r.Header.Get("X-Real-Ip")
}

// window counts calls from the first one for a fixed time.
type window struct {
	count   int
	resetAt time.Time
}

// windows is a table of fixed windows, bounded.
type windows[K comparable] struct {
	m map[K]window
}

func (w *windows[K]) get(k K, now time.Time) (window, bool) {
	v, ok := w.m[k]
	if !ok || !v.resetAt.After(now) {
		return window{}, false
	}
	return v, true
}

// add counts a call, opening a window of length d when none is open.
func (w *windows[K]) add(k K, now time.Time, d time.Duration) {
	v, ok := w.get(k, now)
	if !ok {
		v = window{resetAt: now.Add(d)}
	}
	v.count++
	w.put(k, v, now)
}

// put stores a key's window, unless the key is new and the table full.
func (w *windows[K]) put(k K, v window, now time.Time) {
	if w.m == nil {
		w.m = map[K]window{}
	}
	if _, exists := w.m[k]; !exists && !w.room(now) {
		return
	}
	w.m[k] = v
}

// room sweeps expired entries when the table is full and reports whether a
// new key fits.
func (w *windows[K]) room(now time.Time) bool {
	if len(w.m) < maxLimitKeys {
		return true
	}
	for k, v := range w.m {
		if !v.resetAt.After(now) {
			delete(w.m, k)
		}
	}
	return len(w.m) < maxLimitKeys
}

type opKey struct{ app, device, op string }
type setKey struct{ app, device, channel string }
type ipKey struct{ app, ip string }

// selfLimits are the /channel_self limits: per device and operation, per
// identical set, per address.
type selfLimits struct {
	mu      sync.Mutex
	ipLimit int
	ops     windows[opKey]
	sets    windows[setKey]
	ips     windows[ipKey]
}

// limited reports whether a device's operation is refused, and until when
// (utils/channelSelfRateLimit.ts:118-167): opLimit calls within opWindow,
// or, for a set, the same channel set within sameSetWindow.
func (l *selfLimits) limited(app, device, op, channel string, now time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w, ok := l.ops.get(opKey{app, device, op}, now); ok && w.count >= opLimit {
		return true, w.resetAt
	}
	if op == "set" && channel != "" {
		if w, ok := l.sets.get(setKey{app, device, channel}, now); ok {
			return true, w.resetAt
		}
	}
	return false, time.Time{}
}

// record counts a device's operation (every call that reached it, refused
// or not, as the backend records them).
func (l *selfLimits) record(app, device, op, channel string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops.add(opKey{app, device, op}, now, opWindow)
	if op == "set" && channel != "" {
		l.sets.put(setKey{app, device, channel}, window{count: 1, resetAt: now.Add(sameSetWindow)}, now)
	}
}

// ipLimited reports whether an address made ipLimit calls for an app
// within the window.
func (l *selfLimits) ipLimited(app, ip string, now time.Time) (bool, time.Time) {
	if ip == "" {
		return false, time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.ips.get(ipKey{app, ip}, now)
	return ok && w.count >= l.ipLimit, w.resetAt
}

func (l *selfLimits) recordIP(app, ip string, now time.Time) {
	if ip == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ips.add(ipKey{app, ip}, now, ipWindow)
}

// enumerationGuard refuses /updates to an address that asked for
// enumerationMisses unknown apps within enumerationWindow, for that window
// (utils/updateOracleGuard.ts:104-212). The backend counts the misses in
// 4 × enumerationMisses hashed slots, so two app ids may share one; the
// reference server counts distinct app ids.
type enumerationGuard struct {
	mu sync.Mutex
	m  map[string]*misses
}

type misses struct {
	apps    map[string]time.Time // app id → when its miss expires
	limited time.Time            // refused until
}

// limitedUntil reports whether an address is refused, and until when.
func (g *enumerationGuard) limitedUntil(ip string, now time.Time) (bool, time.Time) {
	if ip == "" {
		return false, time.Time{}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.m[ip]
	if m == nil || !m.limited.After(now) {
		return false, time.Time{}
	}
	return true, m.limited
}

// miss records a request for an unknown app and reports whether the
// address is now refused.
func (g *enumerationGuard) miss(ip, appID string, now time.Time) bool {
	if ip == "" || strings.TrimSpace(appID) == "" {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]*misses{}
	}
	m := g.m[ip]
	if m == nil {
		if len(g.m) >= maxLimitKeys && !g.sweep(now) {
			return false
		}
		m = &misses{apps: map[string]time.Time{}}
		g.m[ip] = m
	}
	if m.limited.After(now) {
		return true
	}
	m.apps[strings.ToLower(strings.TrimSpace(appID))] = now.Add(enumerationWindow)
	n := 0
	for id, exp := range m.apps {
		if exp.After(now) {
			n++
		} else {
			delete(m.apps, id)
		}
	}
	if n >= enumerationMisses {
		m.limited = now.Add(enumerationWindow)
		return true
	}
	return false
}

// sweep drops the addresses with nothing left to remember and reports
// whether there is room for another.
func (g *enumerationGuard) sweep(now time.Time) bool {
	for ip, m := range g.m {
		live := m.limited.After(now)
		for _, exp := range m.apps {
			live = live || exp.After(now)
		}
		if !live {
			delete(g.m, ip)
		}
	}
	return len(g.m) < maxLimitKeys
}
