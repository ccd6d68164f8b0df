package client

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/otasim/otasim/protocol"
)

// UserAgent is the plugin's User-Agent for a device:
// "CapacitorUpdater/<plugin version> (<app id>) <platform>/<os version>"
// (capacitor-updater 8.51.14 android/.../DownloadService.java:117,
// ios/.../CapgoUpdater.swift:105).
func UserAgent(in *protocol.Info) string {
	return "CapacitorUpdater/" + orUnknown(in.PluginVersion) + " (" + orUnknown(in.AppID) + ") " +
		in.Platform + "/" + orUnknown(in.VersionOS)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// rateLimitHint reads a 429 as the plugin does (android/.../
// CapgoUpdater.java:2078 rawRateLimitDeadlineMs): Retry-After in seconds,
// fractions allowed (an HTTP date is not read); else the body's
// moreInfo.retryAfterSeconds or retryAfterSeconds; else its
// rateLimitResetAt (epoch ms). Names match exactly, as org.json's has()
// does (:2093-2110).
func rateLimitHint(header string, body []byte) (time.Duration, int64) {
	if v, err := strconv.ParseFloat(strings.TrimSpace(header), 64); err == nil && v >= 0 && !math.IsInf(v, 0) {
		return seconds(v), 0
	}
	var h struct {
		RetryAfterSeconds *float64 `json:"retryAfterSeconds"`
		RateLimitResetAt  *float64 `json:"rateLimitResetAt"`
		MoreInfo          *struct {
			RetryAfterSeconds *float64 `json:"retryAfterSeconds"`
			RateLimitResetAt  *float64 `json:"rateLimitResetAt"`
		} `json:"moreInfo"`
	}
	if decodeReply(body, &h) != nil {
		return -1, 0
	}
	after, reset := h.RetryAfterSeconds, h.RateLimitResetAt
	if h.MoreInfo != nil {
		if h.MoreInfo.RetryAfterSeconds != nil {
			after = h.MoreInfo.RetryAfterSeconds
		}
		if h.MoreInfo.RateLimitResetAt != nil {
			reset = h.MoreInfo.RateLimitResetAt
		}
	}
	if after != nil && *after >= 0 && !math.IsInf(*after, 0) {
		return seconds(*after), 0
	}
	if reset != nil && *reset > 0 && *reset < 1e15 {
		return -1, int64(*reset)
	}
	return -1, 0
}

func seconds(v float64) time.Duration {
	return time.Duration(min(v, 1e9) * float64(time.Second))
}
