package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/admin"
	"github.com/otasim/otasim/sim/results"
)

// Client is a shard's side of the collector.
type Client struct {
	base  string
	index int
	hc    *http.Client

	progress chan results.Progress
	once     sync.Once
	done     chan struct{}
}

// NewClient returns the client of shard index for the collector at base
// (e.g. "http://collector:9470").
func NewClient(base string, index int) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("collector: URL %q is not an http(s) URL", base)
	}
	return &Client{base: strings.TrimRight(base, "/"), index: index, hc: &http.Client{},
		progress: make(chan results.Progress, 1), done: make(chan struct{})}, nil
}

// call sends body as JSON and decodes the reply into out (nil: none); an
// error status is an error with the collector's message.
func (c *Client) call(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("collector: %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return &RefusedError{Status: resp.StatusCode, Message: strings.TrimSpace(string(raw))}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("collector: %s: invalid reply: %w", path, err)
		}
	}
	return nil
}

// RefusedError is the collector's refusal (a shard of another run, a
// registration after the start).
type RefusedError struct {
	Status  int
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("collector refused (%d): %s", e.Status, e.Message)
}

// Register registers the shard and waits for the run's start (the
// collector answers when every shard has registered). A collector not up
// yet is tried again until ctx ends.
func (c *Client) Register(ctx context.Context, r Registration) (Start, error) {
	var st Start
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		err := c.call(ctx, pathRegister, r, &st)
		var refused *RefusedError
		if err == nil || errors.As(err, &refused) {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("collector: no answer to the registration: %w (last: %v)", context.Cause(ctx), err)
		case <-time.After(wait):
		}
	}
}

// Step carries out step idx: the collector carries it out once for the
// fleet, at its virtual time, and every shard learns how it ended.
func (c *Client) Step(ctx context.Context, idx int, _ *scenarios.Step) error {
	var out StepOutcome
	if err := c.call(ctx, pathStep+strconv.Itoa(idx), struct{}{}, &out); err != nil {
		return err
	}
	switch {
	case out.Status > 0:
		return &admin.APIError{Status: out.Status, Code: out.Code, Message: out.Error}
	case out.Error != "":
		return errors.New(out.Error)
	}
	return nil
}

// StartProgress starts the goroutine that sends the shard's progress
// snapshots; Progress hands it the latest and never blocks (a snapshot
// the collector did not take in time is replaced by the next).
func (c *Client) StartProgress(ctx context.Context) {
	go func() {
		defer close(c.done)
		for {
			select {
			case <-ctx.Done():
				return
			case p, ok := <-c.progress:
				if !ok {
					return
				}
				pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_ = c.call(pctx, pathProgress+strconv.Itoa(c.index), p, nil) // live only: a lost one is replaced
				cancel()
			}
		}
	}()
}

// Progress hands the latest snapshot to the sender.
func (c *Client) Progress(p results.Progress) {
	select {
	case c.progress <- p:
	default:
		select { // replace the one waiting
		case <-c.progress:
		default:
		}
		select {
		case c.progress <- p:
		default:
		}
	}
}

// StopProgress stops the sender after the snapshot waiting, if any.
func (c *Client) StopProgress() {
	c.once.Do(func() { close(c.progress) })
	<-c.done
}

// Results sends the shard's results, trying again (a collector being
// restarted) until ctx ends.
func (c *Client) Results(ctx context.Context, run *results.Run) error {
	return c.retry(ctx, pathResults+strconv.Itoa(c.index), run)
}

// Failed tells the collector that the shard cannot finish.
func (c *Client) Failed(ctx context.Context, reason string) error {
	return c.retry(ctx, pathFailed+strconv.Itoa(c.index), Failure{Reason: reason})
}

func (c *Client) retry(ctx context.Context, path string, body any) error {
	for wait := 500 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := c.call(ctx, path, body, nil)
		var refused *RefusedError
		if err == nil || errors.As(err, &refused) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", context.Cause(ctx), err)
		case <-time.After(wait):
		}
	}
}

// ErrNotStarted is FetchClock's answer before the run's start is known.
var ErrNotStarted = errors.New("collector: the run has not started")

// FetchClock reads the run's start and speed from the collector at base
// (ErrNotStarted before every shard registered): a server follows the
// run's virtual clock with it.
func FetchClock(ctx context.Context, base string) (Start, error) {
	var st Start
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+pathClock, nil)
	if err != nil {
		return st, fmt.Errorf("collector: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, fmt.Errorf("collector: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return st, ErrNotStarted
	case resp.StatusCode/100 != 2:
		return st, fmt.Errorf("collector: %s: status %d", pathClock, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&st); err != nil {
		return st, fmt.Errorf("collector: %s: %w", pathClock, err)
	}
	return st, nil
}
