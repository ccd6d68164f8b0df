package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Diurnal is a daily activity curve in the device's local time: a named
// shape ("default", "flat", "office", "evening") or exactly 24 hourly
// non-negative weights, hour 0 first.
type Diurnal struct {
	Shape   string
	Weights []float64
}

// DiurnalShapes lists the named curves, "default" first.
func DiurnalShapes() []string { return []string{"default", "flat", "office", "evening"} }

// shapeWeights returns the raw hourly weights of a named curve.
func shapeWeights(name string) ([]float64, bool) {
	switch name {
	case "", "default":
		// Mobile app usage: quiet nights, a morning and lunch bump, an
		// evening peak around 20:00.
		return []float64{
			0.6, 0.35, 0.2, 0.15, 0.15, 0.3, 0.7, 1.4, 1.9, 1.8, 1.6, 1.7,
			2.0, 1.9, 1.6, 1.5, 1.6, 1.9, 2.3, 2.7, 2.9, 2.6, 1.9, 1.1,
		}, true
	case "flat":
		w := make([]float64, 24)
		for i := range w {
			w[i] = 1
		}
		return w, true
	case "office":
		// Working hours 08:00–18:00, little else.
		return []float64{
			0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.6, 2.0, 3.0, 3.0, 2.8,
			2.0, 2.6, 3.0, 3.0, 2.8, 2.0, 0.8, 0.4, 0.3, 0.2, 0.1, 0.05,
		}, true
	case "evening":
		// Leisure apps: most sessions between 18:00 and 23:00.
		return []float64{
			0.8, 0.4, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.6, 0.6, 0.6, 0.7,
			0.9, 0.8, 0.7, 0.7, 0.9, 1.4, 2.6, 3.4, 3.8, 3.6, 2.8, 1.6,
		}, true
	}
	return nil, false
}

// HourlyWeights returns the curve as 24 shares of a day's sessions that
// sum to 1; an unknown shape or an all-zero list gives the flat curve.
func (d Diurnal) HourlyWeights() [24]float64 {
	var out [24]float64
	w := d.Weights
	if len(w) != 24 {
		var ok bool
		if w, ok = shapeWeights(d.Shape); !ok {
			w, _ = shapeWeights("flat")
		}
	}
	sum := 0.0
	for _, x := range w {
		if x > 0 && !math.IsInf(x, 0) {
			sum += x
		}
	}
	for i := range out {
		if sum == 0 {
			out[i] = 1.0 / 24
			continue
		}
		if x := w[i]; x > 0 && !math.IsInf(x, 0) {
			out[i] = x / sum
		}
	}
	return out
}

// IsZero reports an unset curve (the default shape applies).
func (d Diurnal) IsZero() bool { return d.Shape == "" && d.Weights == nil }

// String prints the shape name, or "custom" for hourly weights.
func (d Diurnal) String() string {
	if d.Weights != nil {
		return "custom"
	}
	if d.Shape == "" {
		return "default"
	}
	return d.Shape
}

// check returns what is wrong with the curve, or "".
func (d Diurnal) check() string {
	if d.Weights != nil {
		if len(d.Weights) != 24 {
			return fmt.Sprintf("has %d weights (expected a curve name or exactly 24 hourly weights)", len(d.Weights))
		}
		sum := 0.0
		for i, x := range d.Weights {
			if !(x >= 0) || math.IsInf(x, 0) {
				return fmt.Sprintf("weight of hour %d is %v (expected a number of 0 or more)", i, x)
			}
			sum += x
		}
		if sum == 0 {
			return "all 24 weights are 0 (expected some activity)"
		}
		return ""
	}
	if _, ok := shapeWeights(d.Shape); !ok {
		return fmt.Sprintf("%q is not a curve (expected one of default, flat, office, evening, or 24 hourly weights)", d.Shape)
	}
	return ""
}

// UnmarshalYAML implements yaml.InterfaceUnmarshaler: a name or a list.
func (d *Diurnal) UnmarshalYAML(unmarshal func(any) error) error {
	var name string
	if err := unmarshal(&name); err == nil {
		*d = Diurnal{Shape: name}
		return nil
	}
	var w []float64
	if err := unmarshal(&w); err != nil {
		return errors.New("expected a curve name (default, flat, office, evening) or 24 hourly weights")
	}
	*d = Diurnal{Weights: w}
	return nil
}

// MarshalYAML implements yaml.InterfaceMarshaler.
func (d Diurnal) MarshalYAML() (any, error) {
	if d.Weights != nil {
		return d.Weights, nil
	}
	return d.String(), nil
}

// MarshalJSON writes the name or the weights.
func (d Diurnal) MarshalJSON() ([]byte, error) {
	v, _ := d.MarshalYAML()
	return json.Marshal(v)
}

// UnmarshalJSON reads a name or the weights.
func (d *Diurnal) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*d = Diurnal{Shape: name}
		return nil
	}
	var w []float64
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("diurnal: %w", err)
	}
	*d = Diurnal{Weights: w}
	return nil
}
