package k8s

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/yaml"
)

// YAML serialises the objects as one multi-document YAML stream.
func YAML(objs []any) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("k8s: %w", err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}
