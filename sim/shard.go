package sim

import (
	"context"
	"fmt"
	"time"
)

// waitStart returns the wall instant the virtual clock starts at: now, or
// the one Config.StartAt gives once it has come. A start already past (a
// shard that came late) is kept: the events due since are then handled
// late, and the harness says so.
func (e *engine) waitStart(ctx context.Context) (time.Time, error) {
	if e.cfg.StartAt == nil {
		return e.now(), nil
	}
	start, err := e.cfg.StartAt(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("sim: the start: %w", err)
	}
	if d := start.Sub(e.now()); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return time.Time{}, context.Cause(ctx)
		case <-t.C:
		}
	}
	return start, nil
}
