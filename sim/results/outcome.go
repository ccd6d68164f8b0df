package results

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Outcome classifies how one request ended. The names (String) are
// stable: they are keys of summary.json and label values of exported
// metrics, and shards of one run add their counts outcome by outcome.
type Outcome uint8

// The outcomes, in the order summaries list them.
const (
	// OutcomeSuccess is a reply the protocol defines, a 200 that carries
	// an error code such as no_new_version_available included; for a
	// download, every byte with a matching checksum.
	OutcomeSuccess Outcome = iota
	// OutcomeHTTPError is a status the protocol does not answer a
	// device's request with: 5xx, 429, a 4xx or 3xx the request did not
	// call for.
	OutcomeHTTPError
	// OutcomeProtocolError is a reply whose body is not the endpoint's
	// JSON (unparsable, the wrong shape, too large), or bundle bytes that
	// do not match their checksum.
	OutcomeProtocolError
	// OutcomeTimeout is no whole reply within the response timeout.
	OutcomeTimeout
	// OutcomeNetworkError is a connection that failed: refused, reset,
	// closed before the reply ended, no route, DNS.
	OutcomeNetworkError
	// NumOutcomes is the number of outcomes.
	NumOutcomes
)

var outcomeNames = [NumOutcomes]string{"success", "http_error", "protocol_error", "timeout", "network_error"}

// String is the outcome's stable name ("http_error").
func (o Outcome) String() string {
	if o < NumOutcomes {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Failed reports whether the outcome is a failure.
func (o Outcome) Failed() bool { return o != OutcomeSuccess }

// ParseOutcome reads an outcome's name.
func ParseOutcome(name string) (Outcome, bool) {
	for o, n := range outcomeNames {
		if n == name {
			return Outcome(o), true
		}
	}
	return 0, false
}

// MarshalText writes the outcome's name.
func (o Outcome) MarshalText() ([]byte, error) {
	if o >= NumOutcomes {
		return nil, fmt.Errorf("results: no outcome %d", uint8(o))
	}
	return []byte(o.String()), nil
}

// UnmarshalText reads an outcome's name.
func (o *Outcome) UnmarshalText(b []byte) error {
	v, ok := ParseOutcome(string(b))
	if !ok {
		return fmt.Errorf("results: unknown outcome %q (want one of %s)", b, strings.Join(outcomeNames[:], ", "))
	}
	*o = v
	return nil
}

// OutcomeCounts counts requests by outcome. In JSON it is an object
// with every outcome's name as a key, zeros included.
type OutcomeCounts [NumOutcomes]int64

// Total is every request counted.
func (c OutcomeCounts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Failed is every request that did not succeed.
func (c OutcomeCounts) Failed() int64 { return c.Total() - c[OutcomeSuccess] }

// Add adds other's counts (another shard, cohort or interval).
func (c *OutcomeCounts) Add(other OutcomeCounts) {
	for o, v := range other {
		c[o] += v
	}
}

// MarshalJSON writes {"success": n, "http_error": n, ...}.
func (c OutcomeCounts) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for o, v := range c {
		if o > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%d", outcomeNames[o], v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// UnmarshalJSON reads the object MarshalJSON writes; an unknown outcome
// is an error, a missing one zero.
func (c *OutcomeCounts) UnmarshalJSON(b []byte) error {
	var m map[Outcome]int64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*c = OutcomeCounts{}
	for o, v := range m {
		c[o] = v
	}
	return nil
}

// ErrorRate is failed over total (0 when nothing was counted).
func ErrorRate(c OutcomeCounts) float64 {
	if t := c.Total(); t > 0 {
		return float64(c.Failed()) / float64(t)
	}
	return 0
}
