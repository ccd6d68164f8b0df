package html

import "math"

// point is one (x, y) of a series; y may be NaN for a gap.
type point struct{ x, y float64 }

// downsample keeps at most max points of ps by largest-triangle-three-
// buckets: the first and last points stay, and each bucket in between keeps
// the point that spans the largest triangle with its neighbours, which
// keeps peaks and the shape of the curve. NaN points count as zero area.
func downsample(ps []point, max int) []point {
	if max < 3 || len(ps) <= max {
		return ps
	}
	out := make([]point, 0, max)
	out = append(out, ps[0])
	every := float64(len(ps)-2) / float64(max-2)
	a := 0
	for i := 0; i < max-2; i++ {
		// Average of the next bucket.
		ns := int(math.Floor(float64(i+1)*every)) + 1
		ne := min(int(math.Floor(float64(i+2)*every))+1, len(ps))
		var ax, ay float64
		n := 0
		for _, p := range ps[ns:ne] {
			if !math.IsNaN(p.y) {
				ax += p.x
				ay += p.y
				n++
			}
		}
		if n > 0 {
			ax /= float64(n)
			ay /= float64(n)
		}
		// This bucket.
		bs := int(math.Floor(float64(i)*every)) + 1
		be := int(math.Floor(float64(i+1)*every)) + 1
		best, bestArea := bs, -1.0
		for j := bs; j < be; j++ {
			area := math.Abs((ps[a].x-ax)*(ps[j].y-ps[a].y)-(ps[a].x-ps[j].x)*(ay-ps[a].y)) / 2
			if math.IsNaN(area) {
				area = 0
			}
			if area > bestArea {
				best, bestArea = j, area
			}
		}
		out = append(out, ps[best])
		a = best
	}
	return append(out, ps[len(ps)-1])
}
