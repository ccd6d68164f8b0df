package scenarios

import (
	"fmt"

	"github.com/goccy/go-yaml"
)

// Resolved returns the scenario as YAML with every default filled in:
// what a run actually uses (`otasim scenarios show --resolved`). Parsing
// it gives the same scenario back.
func (s *Scenario) Resolved() ([]byte, error) {
	out, err := yaml.MarshalWithOptions(s, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return out, nil
}
