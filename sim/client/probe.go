package client

import (
	"context"
	"fmt"
	"time"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/results"
)

// Probe sends one real check (POST /updates with info) and waits at most
// within for an HTTP answer. Any status is an answer (a server that
// answers 501 is reachable; its run will count the failures); no answer
// is an error that says which: refused, reset, or silence (a server that
// accepts connections and never replies).
func (c *Client) Probe(ctx context.Context, info *protocol.Info, within time.Duration) (Result, error) {
	pctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var reply protocol.UpdateReply
	res := c.Updates(pctx, info, &reply)
	if res.Status != 0 {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if res.Outcome == results.OutcomeTimeout {
		return res, fmt.Errorf("target %s did not answer POST /updates within %v (it accepts connections but sends no reply)",
			c.cfg.Endpoints.Updates, within)
	}
	return res, fmt.Errorf("target %s is unreachable (%s): %w", c.cfg.Endpoints.Updates, res.Cause, res.Err)
}
