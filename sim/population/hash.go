package population

import "math"

// Purposes keep the random streams of one device independent: each draw is
// a hash of (seed, device, purpose, counter), never stored RNG state.
const (
	purposeCohort uint32 = iota + 1
	purposePlatform
	purposeNative
	purposeNetwork
	purposeTimezone
	purposeID
	purposeID2
	purposeJoin
	purposeChurn
	purposeLastSession
	purposeSessionGap
	purposeSessionAccept
	purposeSessionLength
	purposeSessionLength2
	// PurposeUser is the first purpose free for callers of Uniform.
	PurposeUser uint32 = 100
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash64 mixes the four keys through chained splitmix64 rounds.
func hash64(seed uint64, dev, purpose uint32, ctr uint64) uint64 {
	h := splitmix(seed)
	h = splitmix(h ^ uint64(dev))
	h = splitmix(h ^ uint64(purpose)<<32)
	return splitmix(h ^ ctr)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// expDraw is an exponential variate with mean 1 from a uniform in [0, 1).
func expDraw(u float64) float64 { return -math.Log1p(-u) }

// normal is a standard normal variate from two uniforms (Box-Muller).
func normal(u1, u2 float64) float64 {
	if u1 < 1e-300 {
		u1 = 1e-300
	}
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
