// Package collector joins the shards of a sharded run: it registers them,
// gives them one start instant for their virtual clocks, carries out the
// scenario's timeline once against the target's admin API at the right
// virtual times, adds the shards' live progress into the fleet's, and
// merges their results into one run (sim/merge) judged once.
//
// Shards speak to it over HTTP with JSON (Client); every path is under
// /v1/. A collector restarted with the same state file resumes the run it
// was collecting: the start instant and the timeline's progress are kept
// there.
package collector

import (
	"time"

	"github.com/otasim/otasim/sim/results"
)

// Paths of the collector's API.
const (
	pathRegister = "/v1/register"
	pathClock    = "/v1/clock"
	pathProgress = "/v1/progress/" // + shard index
	pathStep     = "/v1/step/"     // + step index
	pathResults  = "/v1/results/"  // + shard index
	pathFailed   = "/v1/failed/"   // + shard index
)

// Registration is what a shard says of itself; the collector refuses a
// shard of another run (scenario, seed, size, speed or duration).
type Registration struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// Scenario is the scenario's name and ScenarioHash its hash
	// (scenarios.Scenario.Hash).
	Scenario     string  `json:"scenario"`
	ScenarioHash string  `json:"scenario_hash"`
	Seed         uint64  `json:"seed"`
	Devices      int     `json:"devices"`
	Speed        float64 `json:"speed"`
	DurationS    float64 `json:"duration_s"`
}

// Start is the collector's answer once every shard registered: the run's
// id and the wall instant at which every shard's virtual clock starts.
type Start struct {
	RunID string    `json:"run_id"`
	At    time.Time `json:"at"`
	Speed float64   `json:"speed"`
}

// StepOutcome is how the collector's carrying out of a step ended: Status
// is the admin API's HTTP status when it refused it (0 otherwise).
type StepOutcome struct {
	Status int    `json:"status,omitempty"`
	Code   string `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Failure is a shard's report that it cannot finish (its run failed).
type Failure struct {
	Reason string `json:"reason"`
}

// Upload is a shard's results.
type Upload = results.Run
