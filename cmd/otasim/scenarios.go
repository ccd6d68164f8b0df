package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/scenarios"
)

func scenariosCommand() *cli.Command {
	return &cli.Command{
		Name:  "scenarios",
		Usage: "list, validate and show scenarios",
		Description: "Scenarios are YAML files (docs/scenarios.md). The bundled ones are built\n" +
			"into otasim, so `otasim run quickstart` works from any folder; a path to a\n" +
			"file works wherever a name does.",
		Subcommands: []*cli.Command{
			{
				Name:      "list",
				Usage:     "list the bundled scenarios",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "json", Usage: "print a JSON array instead of a table"},
				},
				Action: scenariosList,
			},
			{
				Name:      "validate",
				Usage:     "check scenario files (or bundled names), reporting every problem with file:line:col",
				ArgsUsage: "FILE|NAME...",
				Description: "Prints \"ok NAME\" for each valid scenario and every problem of each\n" +
					"invalid one. Exit code 0 when all are valid, 1 otherwise.",
				Action: scenariosValidate,
			},
			{
				Name:      "show",
				Usage:     "print a bundled scenario's YAML, to copy and edit",
				ArgsUsage: "NAME",
				Description: "With --resolved, prints the scenario (bundled NAME or FILE) as a run\n" +
					"uses it: every default filled in.",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "resolved", Usage: "print the scenario with every default filled in"},
				},
				Action: scenariosShow,
			},
		},
	}
}

func scenariosList(c *cli.Context) error {
	if c.Args().Present() {
		return cli.Exit(fmt.Sprintf("scenarios list takes no arguments, got %q", c.Args().First()), exitUsage)
	}
	infos := scenarios.List()
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDEVICES\tDURATION\tDESCRIPTION")
	for _, in := range infos {
		desc := in.Description
		if in.Err != "" {
			desc = "INVALID: " + in.Err
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", in.Name, in.Devices, in.Duration, desc)
	}
	return tw.Flush()
}

func scenariosValidate(c *cli.Context) error {
	if !c.Args().Present() {
		return cli.Exit("scenarios validate needs at least one FILE or bundled NAME", exitUsage)
	}
	bad := 0
	for _, arg := range c.Args().Slice() {
		s, err := scenarios.Load(arg)
		if err != nil {
			bad++
			var perr *scenarios.Error
			if errors.As(err, &perr) {
				fmt.Fprintln(c.App.ErrWriter, err) // already "file:line:col: ..." lines
			} else {
				fmt.Fprintf(c.App.ErrWriter, "%s: %v\n", arg, err)
			}
			continue
		}
		fmt.Fprintf(c.App.Writer, "ok %s (%s)\n", s.Name, s.Source)
	}
	if bad > 0 {
		return cli.Exit(fmt.Sprintf("%d of %d scenarios invalid", bad, c.Args().Len()), exitError)
	}
	return nil
}

func scenariosShow(c *cli.Context) error {
	if c.Args().Len() != 1 {
		return cli.Exit("scenarios show needs exactly one bundled NAME (see 'otasim scenarios list'), or a FILE with --resolved", exitUsage)
	}
	var data []byte
	var err error
	if c.Bool("resolved") {
		var s *scenarios.Scenario
		if s, err = scenarios.Load(c.Args().First()); err == nil {
			data, err = s.Resolved()
		}
	} else {
		data, err = scenarios.Bundled(c.Args().First())
	}
	if err != nil {
		return cli.Exit(err.Error(), exitError)
	}
	_, err = c.App.Writer.Write(data)
	return err
}
