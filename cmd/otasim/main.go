// Command otasim is a load-testing and device-simulator harness for
// live-update (over-the-air) servers speaking the capacitor-updater protocol.
//
// main only wires the command table; each subcommand lives in its own file,
// turns its flags into a library Config and calls the library.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

// Exit codes, documented in README.md and in --help.
const (
	exitOK           = 0 // PASS, or a command that is not a run
	exitError        = 1 // an error: invalid scenario, unreachable target, unwritable folder
	exitUsage        = 2 // bad usage: an unknown flag, a missing or bad argument
	exitTargetFail   = 3 // FAIL: a target failed, the target was lost, a metric regressed
	exitInconclusive = 4 // INCONCLUSIVE: the harness could not measure honestly
)

// exitCodesHelp lists the exit codes for --help.
const exitCodesHelp = "Exit codes: 0 PASS (or success), 1 error, 2 bad usage, 3 FAIL (a target failed,\n" +
	"the target was lost, or a metric regressed against the baseline), 4 INCONCLUSIVE\n" +
	"(the harness could not measure honestly: the generator fell behind, the run was\n" +
	"cut short, timeline actions a target depends on were skipped)."

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	app := newApp()
	err := execute(app, args)
	if err == nil {
		return exitOK
	}
	var coded cli.ExitCoder
	if errors.As(err, &coded) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "otasim:", msg)
		}
		return coded.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "otasim:", err)
	return exitError
}

// execute runs the app on a command line whose flags may come before or
// after each command's arguments (args.go).
func execute(app *cli.App, args []string) error { return app.Run(flagsFirst(app, args)) }

func newApp() *cli.App {
	return &cli.App{
		Name:    "otasim",
		Usage:   "simulate fleets of live-update devices against a Capgo-compatible server",
		Version: buildVersion(),
		// Repeatable flags are repeated, never comma-split: a value may
		// hold a comma (--tolerance METRIC=20%,5).
		DisableSliceFlagSeparator: true,
		Description: "otasim pairs a reference live-update server (the capacitor-updater /\n" +
			"Capgo protocol, on SQLite) with a simulator of virtual devices across user\n" +
			"segments, and measures adoption, CDN latency, update success rate and API\n" +
			"response time against the published targets.\n\n" +
			"Flags may come before or after a command's arguments.\n\n" + exitCodesHelp,
		Commands:             commands(),
		EnableBashCompletion: true,
		HideHelpCommand:      false,
		OnUsageError:         usageError,
		ExitErrHandler:       func(*cli.Context, error) {}, // run() prints and exits
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return cli.Exit(fmt.Sprintf("unknown command %q; see 'otasim --help'", c.Args().First()), exitUsage)
			}
			return cli.ShowAppHelp(c)
		},
	}
}

// commands is the table of subcommands, one file each.
func commands() []*cli.Command {
	cmds := []*cli.Command{
		versionCommand(),
		serveCommand(),
		scenariosCommand(),
		runCommand(),
		mergeCommand(),
		collectCommand(),
		k8sCommand(),
		reportCommand(),
		runsCommand(),
		compareCommand(),
		bundleCommand(),
	}
	for _, c := range cmds {
		withUsageExit(c)
	}
	return cmds
}

// usageError turns a flag parsing error into exit code 2.
func usageError(_ *cli.Context, err error, _ bool) error {
	return cli.Exit(err.Error(), exitUsage)
}

// withUsageExit gives a command and its subcommands exit code 2 on bad flags.
func withUsageExit(c *cli.Command) {
	if c.OnUsageError == nil {
		c.OnUsageError = usageError
	}
	for _, sub := range c.Subcommands {
		withUsageExit(sub)
	}
}

// writers returns the command's standard output and error (the process's
// own unless a test set the app's writers).
func writers(c *cli.Context) (io.Writer, io.Writer) {
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	return stdout, stderr
}
