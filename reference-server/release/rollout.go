package release

import "strconv"

// Selected reports whether a rollout selects a device: the FNV-1a 64 hash
// of "<rollout id>:<device id>" modulo 10000 is below the percentage in
// basis points. The hash is stable across restarts and independent of the
// percentage, so raising the percentage only adds devices and lowering it
// only removes selected ones. deviceID must be lowercased by the caller.
func Selected(rolloutID int64, deviceID string, percentBP int) bool {
	if percentBP <= 0 {
		return false
	}
	if percentBP >= MaxPercentBP {
		return true
	}
	return Bucket(rolloutID, deviceID) < percentBP
}

// Bucket is the device's position, 0 to 9999, in a rollout.
func Bucket(rolloutID int64, deviceID string) int {
	// FNV-1a 64 written out: hash/fnv's interface value would allocate on
	// every /updates call.
	const offset, prime = 14695981039346656037, 1099511628211
	var buf [24]byte
	b := strconv.AppendInt(buf[:0], rolloutID, 10)
	b = append(b, ':')
	h := uint64(offset)
	for _, c := range b {
		h = (h ^ uint64(c)) * prime
	}
	for i := 0; i < len(deviceID); i++ {
		h = (h ^ uint64(deviceID[i])) * prime
	}
	return int(h % MaxPercentBP)
}
