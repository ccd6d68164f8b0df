// Package k8s renders the Kubernetes manifests of a sharded run: the
// shards as an Indexed Job (each pod's JOB_COMPLETION_INDEX is its
// shard), the collector as a Job with its Service, optionally the
// reference server as a Deployment with its Service, and a Secret for the
// admin token. The objects are the typed ones of k8s.io/api, serialised
// with sigs.k8s.io/yaml.
package k8s

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Ports of the containers.
const (
	CollectorPort = 9470
	MetricsPort   = 9464
	ServerPort    = 8080
)

// MemoryPerDevice is the resident memory a shard needs per device, in
// bytes: the fleet-scale run's peak RSS on a quiet machine without a
// memory limit (docs/benchmarks.md, "Fleet scale": 3,136 to 3,268 MiB for
// 1,100,000 devices, the in-process server included, with the queues of a
// run that fell behind) rounded up to 3 KiB. A shard's request is this per
// device plus baseMemory, its Go memory limit the same, its limit twice
// that.
const MemoryPerDevice = 3 << 10

// baseMemory is a shard's memory beside its devices (runtime, buffers,
// connections, histograms).
const baseMemory = 128 << 20

// Config is what the manifests are rendered from.
type Config struct {
	// Name prefixes every object's name (a DNS label).
	Name      string
	Namespace string
	// Scenario is what the containers are given: a bundled scenario's
	// name, or ScenarioFile's base name when the scenario is a file
	// (then put in a ConfigMap and mounted).
	Scenario     string
	ScenarioFile []byte
	Shards       int
	// Devices is the fleet's size (installed and joining), to size the
	// shards.
	Devices int
	// Target is the server's base URL; with ReferenceServer it is the
	// reference server's Service, and Target must be empty.
	Target          string
	ReferenceServer bool
	Image           string
	// AdminToken goes in the Secret.
	AdminToken string
	// RunArgs are passed to every shard and to the collector (--seed,
	// --devices, --speed, --duration: the same everywhere).
	RunArgs []string
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if !dnsLabel.MatchString(c.Name) || len(c.Name) > 40 {
		errs = append(errs, fmt.Errorf("name %q: want a DNS label of at most 40 characters (lowercase letters, digits, '-')", c.Name))
	}
	if c.Namespace != "" && !dnsLabel.MatchString(c.Namespace) {
		errs = append(errs, fmt.Errorf("namespace %q: want a DNS label", c.Namespace))
	}
	if c.Shards < 1 || c.Shards > 10_000 {
		errs = append(errs, fmt.Errorf("%d shards: want 1 to 10000", c.Shards))
	}
	if c.Image == "" {
		errs = append(errs, errors.New("no image"))
	}
	if c.Scenario == "" {
		errs = append(errs, errors.New("no scenario"))
	}
	switch {
	case c.ReferenceServer && c.Target != "":
		errs = append(errs, errors.New("a target and the reference server: give one"))
	case !c.ReferenceServer:
		if u, err := url.Parse(c.Target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("target %q: want the server's http(s) base URL (or the reference server)", c.Target))
		}
	}
	if len(c.AdminToken) < 16 {
		errs = append(errs, errors.New("the admin token must be at least 16 characters"))
	}
	if c.Devices < 0 {
		errs = append(errs, errors.New("devices must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("k8s: %w", err)
	}
	return nil
}

func (c *Config) name(part string) string { return c.Name + "-" + part }

func (c *Config) collectorURL() string {
	return "http://" + c.name("collector") + ":" + strconv.Itoa(CollectorPort)
}

func (c *Config) target() string {
	if c.ReferenceServer {
		return "http://" + c.name("server") + ":" + strconv.Itoa(ServerPort)
	}
	return strings.TrimRight(c.Target, "/")
}

// scenarioArg is the scenario as the containers name it.
func (c *Config) scenarioArg() string {
	if c.ScenarioFile != nil {
		return scenarioDir + "/" + scenarioKey
	}
	return c.Scenario
}

// shardMemory is a shard's memory request.
func (c *Config) shardMemory() resource.Quantity {
	per := int64(math.Ceil(float64(c.Devices) / float64(c.Shards)))
	mib := (per*MemoryPerDevice + baseMemory + 1<<20 - 1) >> 20
	return resource.MustParse(strconv.FormatInt(mib, 10) + "Mi")
}
