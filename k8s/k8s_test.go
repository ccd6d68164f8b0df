package k8s

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func configs() map[string]Config {
	return map[string]Config{
		"reference-server": {Name: "otasim-quickstart", Scenario: "quickstart", Shards: 4, Devices: 1_000_000,
			ReferenceServer: true, Image: "ghcr.io/otasim/otasim:dev", AdminToken: "golden-admin-token-0123456789",
			RunArgs: []string{"--seed", "7"}},
		"external-target": {Name: "otasim-canary", Namespace: "load", Scenario: "canary.yaml",
			ScenarioFile: []byte("name: canary\n"), Shards: 16, Devices: 10_000_000, Target: "https://updates.example.com",
			Image: "registry.example.com/otasim:1.2.3", AdminToken: "golden-admin-token-0123456789"},
	}
}

// decode reads a rendered stream back into the typed objects, strictly:
// an unknown or duplicated field is an error.
func decode(t *testing.T, stream []byte) []any {
	t.Helper()
	var out []any
	for _, doc := range bytes.Split(stream, []byte("\n---\n")) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatal(err)
		}
		var obj any
		switch tm.APIVersion + "/" + tm.Kind {
		case "v1/Secret":
			obj = &corev1.Secret{}
		case "v1/ConfigMap":
			obj = &corev1.ConfigMap{}
		case "v1/Service":
			obj = &corev1.Service{}
		case "apps/v1/Deployment":
			obj = &appsv1.Deployment{}
		case "batch/v1/Job":
			obj = &batchv1.Job{}
		default:
			t.Fatalf("unexpected object %s %s:\n%s", tm.APIVersion, tm.Kind, doc)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("strict decode of a %s: %v", tm.Kind, err)
		}
		out = append(out, obj)
	}
	return out
}

func TestRenderGolden(t *testing.T) {
	for name, cfg := range configs() {
		t.Run(name, func(t *testing.T) {
			objs, err := Render(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := YAML(objs)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".yaml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./k8s -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendering (go test ./k8s -update to accept):\n%s", path, got)
			}
			checkObjects(t, &cfg, decode(t, got))
		})
	}
}

// checkObjects checks what a cluster needs of the decoded objects.
func checkObjects(t *testing.T, cfg *Config, objs []any) {
	t.Helper()
	var shards, collector *batchv1.Job
	var services, secrets int
	for _, o := range objs {
		switch x := o.(type) {
		case *batchv1.Job:
			if strings.HasSuffix(x.Name, "-shards") {
				shards = x
			} else {
				collector = x
			}
		case *corev1.Service:
			services++
		case *corev1.Secret:
			secrets++
			if string(x.Data[tokenKey]) != cfg.AdminToken {
				t.Errorf("secret holds %q", x.Data[tokenKey])
			}
		}
	}
	if shards == nil || collector == nil || secrets != 1 {
		t.Fatalf("want the shards' Job, the collector's Job and a Secret; got %d objects", len(objs))
	}
	s := shards.Spec
	n := int32(cfg.Shards)
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || *s.Completions != n || *s.Parallelism != n ||
		s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 1 {
		t.Errorf("shards job spec %+v: want Indexed, completions = parallelism = %d, a per-index backoff limit", s, n)
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever { // required by backoffLimitPerIndex
		t.Errorf("restart policy %s", pod.RestartPolicy)
	}
	args := strings.Join(pod.Containers[0].Args, " ")
	for _, want := range []string{"--shards " + itoa(cfg.Shards), "--collector http://" + cfg.Name + "-collector:9470"} {
		if !strings.Contains(args, want) {
			t.Errorf("shard args %q lack %q", args, want)
		}
	}
	mem := pod.Containers[0].Resources.Requests[corev1.ResourceMemory]
	if per := int64(cfg.Devices/cfg.Shards) * MemoryPerDevice; mem.Value() < per {
		t.Errorf("shard memory request %s below %d devices × %d bytes", mem.String(), cfg.Devices/cfg.Shards, MemoryPerDevice)
	}
	if !hasMemLimit(pod.Containers[0]) {
		t.Errorf("shard env %+v: want GOMEMLIMIT from requests.memory", pod.Containers[0].Env)
	}
	wantServices := 1
	if cfg.ReferenceServer {
		wantServices = 2
	}
	if services != wantServices {
		t.Errorf("%d services, want %d", services, wantServices)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The decoding is strict: a field the API does not have is an error.
func TestStrictDecodeRefusesUnknownFields(t *testing.T) {
	doc := []byte("apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  completionMode: Indexed\n  parallelizm: 4\n")
	if err := yaml.UnmarshalStrict(doc, &batchv1.Job{}); err == nil {
		t.Fatal("a misspelt field decoded without error")
	}
}

func TestValidate(t *testing.T) {
	for name, c := range map[string]Config{
		"bad name":     {Name: "Bad_Name", Scenario: "x", Shards: 2, Image: "i", Target: "http://t", AdminToken: "0123456789abcdef"},
		"no shards":    {Name: "a", Scenario: "x", Shards: 0, Image: "i", Target: "http://t", AdminToken: "0123456789abcdef"},
		"no target":    {Name: "a", Scenario: "x", Shards: 2, Image: "i", AdminToken: "0123456789abcdef"},
		"both targets": {Name: "a", Scenario: "x", Shards: 2, Image: "i", Target: "http://t", ReferenceServer: true, AdminToken: "0123456789abcdef"},
		"short token":  {Name: "a", Scenario: "x", Shards: 2, Image: "i", Target: "http://t", AdminToken: "short"},
		"no image":     {Name: "a", Scenario: "x", Shards: 2, Target: "http://t", AdminToken: "0123456789abcdef"},
	} {
		if _, err := Render(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// hasMemLimit reports whether a container's Go memory limit is its memory
// request.
func hasMemLimit(c corev1.Container) bool {
	for _, e := range c.Env {
		if e.Name == "GOMEMLIMIT" && e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil &&
			e.ValueFrom.ResourceFieldRef.Resource == "requests.memory" {
			return true
		}
	}
	return false
}
