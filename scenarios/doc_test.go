package scenarios

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestReferenceDocCoversSchema keeps docs/scenarios.md in step with the
// code: every metric, timeline action, bundled scenario, default profile
// and top-level key must be documented.
func TestReferenceDocCoversSchema(t *testing.T) {
	data, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	var want []string
	for _, m := range MetricNames() {
		if strings.HasPrefix(m, "api.") {
			// documented as api.ENDPOINT.<stat>
			parts := strings.SplitN(m, ".", 3)
			want = append(want, "`"+parts[1]+"`", parts[2])
			continue
		}
		want = append(want, "`"+m+"`")
	}
	for _, a := range ActionNames() {
		want = append(want, "| `"+a)
	}
	for _, in := range List() {
		want = append(want, "| `"+in.Name+"` |")
	}
	for name := range DefaultNetworkProfiles() {
		want = append(want, "| `"+name+"` |")
	}
	for _, s := range DefaultSegments(100, 0) {
		want = append(want, "| `"+s.Name+"` |")
	}
	keys, _ := fieldsOf(reflect.TypeFor[Scenario]())
	for _, k := range keys {
		want = append(want, "`"+k+"`")
	}
	for _, w := range want {
		if !strings.Contains(doc, w) {
			t.Errorf("docs/scenarios.md does not mention %s", w)
		}
	}
}

// TestReferenceDocExample checks the example of docs/scenarios.md: the
// first yaml block must give exactly the problems of the text block
// after it.
func TestReferenceDocExample(t *testing.T) {
	data, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	block := func(fence string, from int) (string, int) {
		start := strings.Index(doc[from:], fence)
		if start < 0 {
			t.Fatalf("no %s block", fence)
		}
		start += from + len(fence)
		end := strings.Index(doc[start:], "```")
		if end < 0 {
			t.Fatalf("unterminated %s block", fence)
		}
		return doc[start : start+end], start + end
	}
	src, next := block("```yaml\n", strings.Index(doc, "## Strict decoding"))
	out, _ := block("```text\n$ otasim scenarios validate my.yaml\n", next)
	_, err = Parse("my.yaml", []byte(src))
	if err == nil {
		t.Fatal("the example parses")
	}
	if got, want := err.Error()+"\n", out; got != want {
		t.Errorf("the example gives\n%s\nthe doc says\n%s", got, want)
	}
}
