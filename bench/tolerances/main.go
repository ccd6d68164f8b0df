// Command tolerances measures how well the baseline's default tolerances
// separate noise from a regression (docs/reports.md, "Calibration"): it
// reads the run folders of healthy runs of one scenario and of runs
// against a server slowed by a fault, and prints each baseline metric's
// spread, then how many healthy-against-healthy pairs regress (the false
// alarms; the goal is at most 1 in 20) and how many slowed-against-healthy
// pairs do (the goal is every one). A pair is judged as --baseline judges
// it: the baseline is a run whose verdict was PASS (no other is ever
// chosen), and a regression FAILs the run only when its own generator kept
// up (else it is INCONCLUSIVE); pairs the machine spoiled are counted
// apart.
//
//	go run ./bench/tolerances -healthy 'OUT/healthy-*' -slow 'OUT/slow-*'
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/otasim/otasim/reports/baseline"
	"github.com/otasim/otasim/reports/format"
	"github.com/otasim/otasim/sim/results"
)

func main() {
	healthyGlob := flag.String("healthy", "", "glob of the healthy runs' folders")
	slowGlob := flag.String("slow", "", "glob of the slowed runs' folders")
	flag.Parse()
	healthy, err := load(*healthyGlob)
	if err != nil {
		fail(err)
	}
	slow, err := load(*slowGlob)
	if err != nil {
		fail(err)
	}
	if len(healthy) < 2 {
		fail(fmt.Errorf("%d healthy runs: want at least 2", len(healthy)))
	}
	fmt.Printf("%d healthy runs, %d slowed runs\n\n", len(healthy), len(slow))
	spread(healthy, slow)
	deltas(healthy, slow)

	// Every ordered pair of healthy runs, the baseline a PASS run.
	judge := func(name string, bases, curs []*results.Run, goal string) {
		pairs, regressed, fail, spoiled := 0, 0, 0, 0
		byMetric := map[string]int{}
		for i, b := range bases {
			if b.Summary.Verdict != results.VerdictPass {
				continue // never a baseline
			}
			for j, c := range curs {
				if name == "healthy" && i == j {
					continue
				}
				pairs++
				v := baseline.Check(&b.Summary, &c.Summary, nil)
				if !v.Regressed {
					continue
				}
				regressed++
				for _, r := range v.Regressions() {
					byMetric[r.Metric]++
				}
				if c.Summary.Harness.FellBehind {
					spoiled++ // INCONCLUSIVE, not FAIL
				} else {
					fail++
				}
			}
		}
		fmt.Printf("\n%s against a PASS baseline: %d pairs; %d regressed: %d FAIL, %d INCONCLUSIVE (the run's generator fell behind); goal: %s\n",
			name, pairs, regressed, fail, spoiled, goal)
		printCounts(byMetric)
	}
	judge("healthy", healthy, healthy, "at most 1 FAIL in 20 pairs")
	if len(slow) > 0 {
		judge("slowed", healthy, slow, "every pair FAIL")
	}
}

func load(glob string) ([]*results.Run, error) {
	dirs, err := filepath.Glob(glob)
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs)
	var out []*results.Run
	for _, d := range dirs {
		r, err := results.Read(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// spread prints, per baseline metric, the healthy runs' min, median and
// max, the slowed runs' median, and the default tolerance.
func spread(healthy, slow []*results.Run) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tHEALTHY MIN\tMEDIAN\tMAX\tSLOWED MEDIAN\tTOLERANCE")
	for _, m := range baseline.Metrics() {
		h := values(healthy, m.Name)
		if len(h) == 0 {
			continue
		}
		s := values(slow, m.Name)
		sm := "—"
		if len(s) > 0 {
			sm = format.Number(s[len(s)/2], m.Unit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, format.Number(h[0], m.Unit), format.Number(h[len(h)/2], m.Unit),
			format.Number(h[len(h)-1], m.Unit), sm, m.Default.In(m.Unit))
	}
	tw.Flush()
	verdicts := map[string]int{}
	for _, r := range healthy {
		verdicts[string(r.Summary.Verdict)]++
	}
	fmt.Printf("healthy verdicts: %v\n", verdicts)
}

// deltas prints, per metric, the largest change for the worse between a
// PASS baseline and a healthy run whose generator kept up (the noise a
// tolerance must allow), and the smallest between a PASS baseline and a
// slowed run (what it must still catch), in the metric's unit.
func deltas(healthy, slow []*results.Run) {
	worse := func(m baseline.Metric, b, c *results.Run) (float64, bool) {
		bv, bok := baseline.Value(&b.Summary, m.Name)
		cv, cok := baseline.Value(&c.Summary, m.Name)
		if !bok || !cok {
			return 0, false
		}
		if m.Worse == baseline.LowerIsWorse {
			return bv - cv, true
		}
		return cv - bv, true
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nMETRIC\tNOISE (largest healthy change for the worse)\tSMALLEST SLOWED CHANGE")
	for _, m := range baseline.Metrics() {
		noise, caught := 0.0, 0.0
		seenN, seenC := false, false
		for i, b := range healthy {
			if b.Summary.Verdict != results.VerdictPass {
				continue
			}
			for j, c := range healthy {
				if i == j || c.Summary.Harness.FellBehind {
					continue
				}
				if d, ok := worse(m, b, c); ok && (!seenN || d > noise) {
					noise, seenN = d, true
				}
			}
			for _, c := range slow {
				if c.Summary.Harness.FellBehind {
					continue
				}
				if d, ok := worse(m, b, c); ok && (!seenC || d < caught) {
					caught, seenC = d, true
				}
			}
		}
		if !seenN {
			continue
		}
		cs := "—"
		if seenC {
			cs = format.Signed(caught, m.Unit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, format.Signed(noise, m.Unit), cs)
	}
	tw.Flush()
}

func values(runs []*results.Run, metric string) []float64 {
	var out []float64
	for _, r := range runs {
		if v, ok := baseline.Value(&r.Summary, metric); ok {
			out = append(out, v)
		}
	}
	sort.Float64s(out)
	return out
}

func printCounts(m map[string]int) {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) > 0 {
		fmt.Println("  regressions by metric:", strings.Join(parts, ", "))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tolerances:", err)
	os.Exit(1)
}
