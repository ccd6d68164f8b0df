package release

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/uuid"
)

func deviceIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		// Deterministic UUIDs: the test must not depend on chance.
		ids[i] = uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "device-%d", i)).String()
	}
	return ids
}

func TestRolloutShareAndStickiness(t *testing.T) {
	ids := deviceIDs(100_000)
	const rollout = 42
	steps := []int{0, 100, 1000, 2500, 5000, 7500, 10000, 5000, 1000, 0}
	prev := make([]bool, len(ids))
	prevBP := 0
	for _, bp := range steps {
		sel := 0
		for i, id := range ids {
			now := Selected(rollout, id, bp)
			if now {
				sel++
			}
			switch {
			case bp >= prevBP && prev[i] && !now:
				t.Fatalf("raising %d->%d dropped device %s", prevBP, bp, id)
			case bp <= prevBP && !prev[i] && now:
				t.Fatalf("lowering %d->%d added device %s", prevBP, bp, id)
			}
			prev[i] = now
		}
		share := float64(sel) / float64(len(ids))
		if want := float64(bp) / MaxPercentBP; math.Abs(share-want) > 0.01 {
			t.Errorf("at %d bp selected share %.4f, want %.4f ± 0.01", bp, share, want)
		}
		prevBP = bp
	}
}

func TestRolloutsAreIndependent(t *testing.T) {
	// Two rollouts at 50% must not select the same half.
	ids := deviceIDs(20_000)
	both := 0
	for _, id := range ids {
		if Selected(1, id, 5000) && Selected(2, id, 5000) {
			both++
		}
	}
	if share := float64(both) / float64(len(ids)); math.Abs(share-0.25) > 0.02 {
		t.Errorf("share selected by both = %.3f, want about 0.25", share)
	}
}

func TestBucketStable(t *testing.T) {
	// Pinned values: a change of hash would reshuffle every running rollout
	// after an upgrade.
	tests := []struct {
		id     int64
		device string
		want   int
	}{
		{1, "00000000-0000-0000-0000-000000000001", 2929},
		{7, "00000000-0000-0000-0000-000000000001", 6387},
		{1, "abc", 1926},
		{7, "abc", 5132},
	}
	for _, tt := range tests {
		if got := Bucket(tt.id, tt.device); got != tt.want || got < 0 || got >= MaxPercentBP {
			t.Errorf("Bucket(%d, %s) = %d, want %d", tt.id, tt.device, got, tt.want)
		}
	}
}
