package collector

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/otasim/otasim/sim/admin"
)

// stepTimeout bounds one admin call of the timeline.
const stepTimeout = 30 * time.Second

// timeline carries out each step once at its virtual time (in the order
// of the scenario's times); the shards' Step calls wait for its outcome.
// A step whose time passed while the collector was down is carried out
// as soon as it resumes.
func (c *Collector) timeline(ctx context.Context, start Start) {
	steps := c.cfg.Scenario.Timeline
	order := make([]int, len(steps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return steps[order[a]].At < steps[order[b]].At })
	for _, i := range order {
		st := &c.steps[i]
		select {
		case <-st.done: // carried out before a restart
			continue
		default:
		}
		at := steps[i].At.D()
		if at.Seconds() > c.cfg.Want.DurationS {
			continue // after the end: the shards never ask
		}
		wall := start.At.Add(time.Duration(float64(at) / start.Speed))
		if d := time.Until(wall); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		out := c.carryOut(ctx, i)
		c.mu.Lock()
		st.out = out
		close(st.done)
		_ = c.saveLocked()
		c.mu.Unlock()
		c.cfg.Logger.Info("step", "index", i, "at", at, "error", out.Error)
	}
}

func (c *Collector) carryOut(ctx context.Context, i int) StepOutcome {
	if c.cfg.Admin == nil {
		return StepOutcome{Status: 404, Code: "no_admin_api", Error: "the collector has no admin API (--admin-token)"}
	}
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	err := c.cfg.Admin.Do(sctx, c.cfg.Scenario.App.ID, &c.cfg.Scenario.Timeline[i])
	if err == nil {
		return StepOutcome{}
	}
	var ae *admin.APIError
	if errors.As(err, &ae) {
		return StepOutcome{Status: ae.Status, Code: ae.Code, Error: ae.Message}
	}
	return StepOutcome{Error: err.Error()}
}
