package admin

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/internal/httpjson"
)

// The backend's block of failed logins (utils/rate_limit.ts:7,11,133-161
// and utils/hono_middleware.ts:519-525, commit 4bc7d83): an address that
// failed authFailureLimit times, each failure within authBlock of the
// previous one, is refused for authBlock after its last failure, the right
// token included.
const (
	authFailureLimit = 20
	authBlock        = 15 * time.Minute
	// maxThrottled bounds the addresses remembered; past it, after expired
	// ones are swept, a new address is not counted (memory stays bounded
	// under any load).
	maxThrottled = 1 << 16
)

// AuthObserver hears of failed and refused logins, for metrics; its
// methods must not block.
type AuthObserver interface {
	AuthFailed()
	AuthBlocked()
}

// throttle counts failed logins per client address.
type throttle struct {
	now func() time.Time
	obs AuthObserver
	mu  sync.Mutex
	m   map[string]failures
}

type failures struct {
	count int
	until time.Time // the count expires then
}

// clientAddr is the address a login comes from: the socket's peer. The
// admin API trusts no forwarding header, which a client could rotate to
// escape the count.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// blocked reports whether an address is refused, and until when.
func (t *throttle) blocked(addr string) (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[addr]
	if !ok || !f.until.After(t.now()) {
		return false, time.Time{}
	}
	return f.count >= authFailureLimit, f.until
}

// fail counts a failed login of an address.
func (t *throttle) fail(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.m == nil {
		t.m = map[string]failures{}
	}
	f, ok := t.m[addr]
	if !ok || !f.until.After(now) {
		f = failures{}
		if len(t.m) >= maxThrottled {
			for a, old := range t.m {
				if !old.until.After(now) {
					delete(t.m, a)
				}
			}
			if len(t.m) >= maxThrottled {
				return
			}
		}
	}
	f.count++
	f.until = now.Add(authBlock)
	t.m[addr] = f
}

// tooManyFailures writes the backend's refusal of a blocked address
// (simpleRateLimit with reason too_many_failed_auth_attempts and
// buildRateLimitInfo, utils/rateLimitInfo.ts) in the admin error shape,
// with Retry-After as on_error.ts:170-192 sets it.
func tooManyFailures(w http.ResponseWriter, now, until time.Time) {
	retry := int64(math.Max(0, math.Ceil(until.Sub(now).Seconds())))
	w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(until.UnixMilli())/1000)), 10))
	type moreInfo struct {
		Reason     string `json:"reason"`
		ResetAt    int64  `json:"rateLimitResetAt"`
		RetryAfter int64  `json:"retryAfterSeconds"`
	}
	httpjson.Write(w, http.StatusTooManyRequests, struct {
		protocol.Error
		MoreInfo moreInfo `json:"moreInfo"`
	}{protocol.NewError(protocol.CodeTooManyRequests, "Too many requests"),
		moreInfo{"too_many_failed_auth_attempts", until.UnixMilli(), retry}}, nil)
}
