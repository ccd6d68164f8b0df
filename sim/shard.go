package sim

import (
	"context"
	"time"
)

// waitStart returns the wall instant the virtual clock starts at: now, or
// Config.Start once it has come. A start already past (a shard that came
// late) is kept: the events due since are then handled late, and the
// harness says so.
func (e *engine) waitStart(ctx context.Context) (time.Time, error) {
	if e.cfg.Start.IsZero() {
		return e.now(), nil
	}
	if d := e.cfg.Start.Sub(e.now()); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return time.Time{}, context.Cause(ctx)
		case <-t.C:
		}
	}
	return e.cfg.Start, nil
}
