package population

import (
	"fmt"
	"testing"
)

// describe is everything the population says of one device.
func describe(p *Population, i uint32) string {
	a := p.Attrs(i)
	s := fmt.Sprintf("%s %+v %d", p.DeviceID(i), a, p.LastSession(i))
	var ctr uint32
	at := a.JoinAt
	for k := range uint32(5) {
		at, ctr = p.NextSession(i, &a, at, ctr)
		s += fmt.Sprintf(" %d+%d u%.6f", at, p.SessionLength(i, &a, k), p.Uniform(i, PurposeUser, uint64(k)))
		at += p.SessionLength(i, &a, k)
	}
	return s
}

// TestShardUnion: the shards of a fleet are the fleet, device for device:
// every device of the whole fleet is in exactly one shard, with the same
// attributes, id and sessions, and the shards' cohort counts add up.
func TestShardUnion(t *testing.T) {
	whole, err := New(testScenario(), 42, 1003) // not a multiple of the shard counts
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3, 4, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			seen := make([]int, whole.N)
			devices := make([]int, len(whole.Cohorts))
			joining := make([]int, len(whole.Cohorts))
			installed, total := 0, 0
			for k := range n {
				sh, err := whole.Shard(Part{Index: k, Count: n})
				if err != nil {
					t.Fatal(err)
				}
				total += sh.N
				installed += sh.Installed
				for c := range sh.Cohorts {
					devices[c] += sh.Cohorts[c].Devices
					joining[c] += sh.Cohorts[c].Joining
				}
				for i := range uint32(sh.N) {
					g := sh.Global(i)
					if int(g) >= whole.N {
						t.Fatalf("shard %d/%d device %d: global %d beyond the fleet (%d)", k, n, i, g, whole.N)
					}
					seen[g]++
					if got, want := describe(sh, i), describe(whole, g); got != want {
						t.Fatalf("shard %d/%d device %d (fleet %d):\n got %s\nwant %s", k, n, i, g, got, want)
					}
				}
			}
			for g, c := range seen {
				if c != 1 {
					t.Fatalf("fleet device %d is in %d shards, want 1", g, c)
				}
			}
			if total != whole.N || installed != whole.Installed {
				t.Errorf("shards hold %d devices (%d installed), fleet %d (%d)", total, installed, whole.N, whole.Installed)
			}
			for c := range whole.Cohorts {
				if devices[c] != whole.Cohorts[c].Devices || joining[c] != whole.Cohorts[c].Joining {
					t.Errorf("cohort %s: shards %d+%d joining, fleet %d+%d", whole.Cohorts[c].Name,
						devices[c], joining[c], whole.Cohorts[c].Devices, whole.Cohorts[c].Joining)
				}
			}
		})
	}
}

func TestParsePart(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Part
		ok   bool
	}{
		{"0/4", Part{0, 4}, true}, {"3/4", Part{3, 4}, true}, {"0/1", Part{0, 1}, true},
		{"4/4", Part{}, false}, {"-1/4", Part{}, false}, {"1/0", Part{}, false}, {"1", Part{}, false}, {"a/b", Part{}, false},
	} {
		got, err := ParsePart(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParsePart(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	whole, _ := New(testScenario(), 1, 0)
	sh, _ := whole.Shard(Part{1, 2})
	if _, err := sh.Shard(Part{0, 2}); err == nil {
		t.Error("a shard of a shard: no error")
	}
}
