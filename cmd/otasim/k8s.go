package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/k8s"
	"github.com/otasim/otasim/scenarios"
)

func k8sCommand() *cli.Command {
	return &cli.Command{
		Name:  "k8s",
		Usage: "Kubernetes manifests of a sharded run",
		Subcommands: []*cli.Command{{
			Name:      "render",
			Usage:     "print the manifests of a sharded run (kubectl apply -f -)",
			ArgsUsage: "SCENARIO",
			Description: "Prints, as one YAML stream: a Secret with the admin token; the scenario as a\n" +
				"ConfigMap when it is a file; with --reference-server the reference server's\n" +
				"Deployment and Service (following the run's virtual clock); the collector's Job\n" +
				"and Service (its live metrics on :9464); and the shards' Indexed Job\n" +
				"(completions = parallelism = N, each pod's JOB_COMPLETION_INDEX its shard, a\n" +
				"per-index backoff limit, memory sized from the devices per shard). The\n" +
				"collector's logs end with the merged summary.json (kubectl logs job/NAME-collector);\n" +
				"docs/distributed.md goes from kubectl apply to the merged report.",
			Flags: append([]cli.Flag{
				&cli.IntFlag{Name: "shards", Usage: "the number of shards (required)"},
				&cli.StringFlag{Name: "target", Usage: "base URL of the server under test (or --reference-server)"},
				&cli.BoolFlag{Name: "reference-server", Usage: "run otasim's reference server in the cluster as the target"},
				&cli.StringFlag{Name: "image", Usage: "the otasim image (the repository's Dockerfile builds it) (required)"},
				&cli.StringFlag{Name: "name", Usage: "prefix of every object's name (default otasim-<scenario>)"},
				&cli.StringFlag{Name: "namespace", Usage: "namespace of the objects (default: kubectl's)"},
				&cli.StringFlag{Name: "admin-token", EnvVars: []string{"OTASIM_ADMIN_TOKEN"}, Usage: "the target's admin token, put in the Secret (generated for --reference-server when empty)"},
			}, runShapeFlags("passed to the shards and the collector")...),
			Action: runK8sRender,
		}},
	}
}

var notLabel = regexp.MustCompile(`[^a-z0-9-]+`)

func runK8sRender(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("k8s render takes the run's scenario (a bundled name or a file)", exitUsage)
	}
	ref := c.Args().First()
	sc, err := scenarios.Load(ref)
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	if msg := strings.Join(flagValueProblems(c), "; "); msg != "" {
		return cli.Exit(msg, exitUsage)
	}
	cfg := k8s.Config{Name: c.String("name"), Namespace: c.String("namespace"), Scenario: ref, Shards: c.Int("shards"),
		Devices: devicesOf(sc, c.Int("devices")), Target: c.String("target"), ReferenceServer: c.Bool("reference-server"),
		Image: c.String("image"), AdminToken: c.String("admin-token")}
	if cfg.Name == "" {
		cfg.Name = strings.Trim(notLabel.ReplaceAllString("otasim-"+strings.ToLower(sc.Name), "-"), "-")
		cfg.Name = strings.TrimRight(cfg.Name[:min(len(cfg.Name), 40)], "-")
	}
	if sc.Source != "" && !strings.HasPrefix(sc.Source, "embedded:") {
		if cfg.ScenarioFile, err = os.ReadFile(ref); err != nil {
			return cli.Exit(err.Error(), exitError)
		}
	}
	if cfg.AdminToken == "" && cfg.ReferenceServer {
		var b [24]byte
		_, _ = rand.Read(b[:])
		cfg.AdminToken = hex.EncodeToString(b[:])
	}
	if c.IsSet("seed") {
		cfg.RunArgs = append(cfg.RunArgs, "--seed", strconv.FormatUint(c.Uint64("seed"), 10))
	}
	if c.IsSet("devices") {
		cfg.RunArgs = append(cfg.RunArgs, "--devices", strconv.Itoa(c.Int("devices")))
	}
	if c.IsSet("speed") {
		cfg.RunArgs = append(cfg.RunArgs, "--speed", strconv.FormatFloat(c.Float64("speed"), 'g', -1, 64))
	}
	if c.IsSet("duration") {
		cfg.RunArgs = append(cfg.RunArgs, "--duration", c.Duration("duration").String())
	}
	for _, b := range sc.Bundles {
		if b.Encrypted {
			return cli.Exit(fmt.Sprintf("bundle %s is encrypted: a sharded run does not support encrypted bundles", b.Version), exitUsage)
		}
	}
	objs, err := k8s.Render(cfg)
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	y, err := k8s.YAML(objs)
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	stdout, _ := writers(c)
	_, err = stdout.Write(y)
	return err
}
