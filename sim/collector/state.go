package collector

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/otasim/otasim/sim/results"
)

// stateFile is the collector's state in Config.StateDir; the shards'
// results are kept beside it in shard-I/ run folders.
const stateFile = "collector.json"

type state struct {
	Want       Registration        `json:"want"`
	Start      Start               `json:"start"`
	Registered []int               `json:"registered"`
	Steps      map[int]StepOutcome `json:"steps"`
	Failed     map[int]string      `json:"failed,omitempty"`
}

// ShardDir is where the collector keeps shard i's results.
func ShardDir(stateDir string, i int) string {
	return filepath.Join(stateDir, "shard-"+strconv.Itoa(i))
}

// saveLocked writes the state (c.mu held); nothing without a StateDir.
func (c *Collector) saveLocked() error {
	if c.cfg.StateDir == "" || c.start == nil {
		return nil
	}
	s := state{Want: c.cfg.Want, Start: *c.start, Steps: map[int]StepOutcome{}, Failed: c.failed}
	for i := range c.registered {
		s.Registered = append(s.Registered, i)
	}
	for i := range c.steps {
		select {
		case <-c.steps[i].done:
			s.Steps[i] = c.steps[i].out
		default:
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.cfg.StateDir, 0o755); err != nil {
		return fmt.Errorf("collector: state: %w", err)
	}
	return results.WriteFile(filepath.Join(c.cfg.StateDir, stateFile), b)
}

// keepRun keeps shard i's results (in StateDir too, when there is one).
func (c *Collector) keepRun(i int, run *results.Run) error {
	if c.cfg.StateDir != "" {
		if err := results.Write(ShardDir(c.cfg.StateDir, i), run); err != nil {
			return fmt.Errorf("collector: keep shard %d: %w", i, err)
		}
	}
	c.mu.Lock()
	c.runs[i] = run
	c.mu.Unlock()
	return nil
}

// resume reads the state of a run this collector was collecting before
// a restart: its start, the steps carried out, the shards' results.
func (c *Collector) resume() error {
	if c.cfg.StateDir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(c.cfg.StateDir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("collector: state: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("collector: state %s: %w", filepath.Join(c.cfg.StateDir, stateFile), err)
	}
	if msg := c.mismatch(s.Want); msg != "" {
		return fmt.Errorf("collector: the state in %s is another run's: %s", c.cfg.StateDir, msg)
	}
	st := s.Start
	c.start = &st
	c.cfg.RunID = firstNonEmpty(st.RunID, c.cfg.RunID)
	close(c.started)
	for _, i := range s.Registered {
		c.registered[i] = true
	}
	for i, out := range s.Steps {
		if i >= 0 && i < len(c.steps) {
			c.steps[i].out = out
			close(c.steps[i].done)
		}
	}
	for i, r := range s.Failed {
		c.failed[i] = r
	}
	for i := range c.cfg.Want.Count {
		if run, err := results.Read(ShardDir(c.cfg.StateDir, i)); err == nil {
			c.runs[i] = run
		}
	}
	c.cfg.Logger.Info("resumed", "start", st.At, "registered", len(c.registered), "results", len(c.runs))
	return nil
}
