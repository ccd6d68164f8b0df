package main

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

func TestFlagsFirst(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"flags before", "otasim run --devices 7 ci-smoke", "otasim run --devices 7 -- ci-smoke"},
		{"flags after", "otasim run ci-smoke --devices 7 -q", "otasim run --devices 7 -q -- ci-smoke"},
		{"value with =", "otasim report latest --out=f.html", "otasim report --out=f.html -- latest"},
		{"two arguments", "otasim compare A --out f.html B", "otasim compare --out f.html -- A B"},
		{"a subcommand", "otasim scenarios show quickstart --resolved", "otasim scenarios show --resolved -- quickstart"},
		{"after --, an argument", "otasim run --quiet -- --weird.yaml", "otasim run --quiet -- --weird.yaml"},
		{"an unknown flag moves", "otasim report latest --bogus", "otasim report --bogus -- latest"},
		{"app flags", "otasim --help", "otasim --help"},
		{"no arguments", "otasim runs --json", "otasim runs --json"},
		{"an unknown command", "otasim frobnicate --x", "otasim frobnicate --x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(flagsFirst(newApp(), strings.Fields(tt.in)), " ")
			if got != tt.want {
				t.Errorf("flagsFirst(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Every command, through the one mechanism, reads the same flags and
// arguments whichever side of the arguments its flags are on.
func TestEveryCommandTakesFlagsAfterArguments(t *testing.T) {
	type seen struct {
		flag  string
		value string
		args  []string
	}
	var walk func(path []string, cmds []*cli.Command)
	checked := 0
	walk = func(path []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(slices.Clone(path), c.Name)
			if len(c.Subcommands) > 0 {
				walk(p, c.Subcommands)
				continue
			}
			// A flag that takes a value if the command has one, else a
			// boolean one.
			var flag string
			takesValue := false
			for _, f := range c.Flags {
				if v, ok := f.(*cli.StringFlag); ok {
					flag, takesValue = v.Name, true
					break
				}
				if v, ok := f.(*cli.BoolFlag); ok && flag == "" {
					flag = v.Name
				}
			}
			if flag == "" {
				continue // a command without flags (version)
			}
			value, flagArgs := "true", []string{"--" + flag}
			if takesValue {
				value, flagArgs = "v w", []string{"--" + flag, "v w"}
			}
			t.Run(strings.Join(p, " "), func(t *testing.T) {
				parse := func(args []string) seen {
					var got seen
					app := newApp()
					app.Writer, app.ErrWriter = io.Discard, io.Discard
					setAction(app.Commands, p[1:], p[0], func(cc *cli.Context) error {
						got = seen{flag: flag, value: cc.String(flag), args: cc.Args().Slice()}
						if !takesValue {
							got.value = strconv.FormatBool(cc.Bool(flag))
						}
						return nil
					})
					if err := execute(app, append([]string{"otasim"}, args...)); err != nil {
						t.Fatalf("%v: %v", args, err)
					}
					return got
				}
				before := parse(append(append(slices.Clone(p), flagArgs...), "ARG1", "ARG2"))
				after := parse(append(append(append(slices.Clone(p), "ARG1"), flagArgs...), "ARG2"))
				want := seen{flag: flag, value: value, args: []string{"ARG1", "ARG2"}}
				if !reflect.DeepEqual(before, want) || !reflect.DeepEqual(after, want) {
					t.Errorf("before %+v, after %+v, want %+v", before, after, want)
				}
				// An unknown flag after the arguments is bad usage, not an
				// argument.
				app := newApp()
				app.Writer, app.ErrWriter = io.Discard, io.Discard
				setAction(app.Commands, p[1:], p[0], func(*cli.Context) error { return nil })
				err := execute(app, append(slices.Clone(p), "ARG1", "--no-such-flag"))
				var coded cli.ExitCoder
				if !errors.As(err, &coded) || coded.ExitCode() != exitUsage {
					t.Errorf("unknown flag after the arguments: %v", err)
				}
			})
			checked++
		}
	}
	walk([]string{}, newApp().Commands)
	if checked < 5 {
		t.Fatalf("only %d commands checked", checked)
	}
}

// setAction replaces the action of the command at path.
func setAction(cmds []*cli.Command, sub []string, name string, action cli.ActionFunc) {
	for _, c := range cmds {
		if c.Name != name {
			continue
		}
		if len(sub) == 0 {
			c.Action = action
			return
		}
		setAction(c.Subcommands, sub[1:], sub[0], action)
	}
}

// The run command's flags of every type keep their values after the
// scenario: repeated flags keep every value, a value holding a comma
// stays one value.
func TestRunFlagsAfterScenario(t *testing.T) {
	type seen struct {
		Tolerance []string
		Devices   int
		Seed      uint64
		Speed     float64
		Duration  time.Duration
		Quiet     bool
		Out       string
		RW        []string
		Scenario  string
	}
	parse := func(t *testing.T, args []string) seen {
		t.Helper()
		var got seen
		app := newApp()
		setAction(app.Commands, nil, "run", func(c *cli.Context) error {
			out, rw, err := runOutputs(c)
			got = seen{Tolerance: c.StringSlice("tolerance"), Devices: c.Int("devices"), Seed: c.Uint64("seed"),
				Speed: c.Float64("speed"), Duration: c.Duration("duration"), Quiet: c.Bool("quiet"),
				Out: out, RW: rw, Scenario: c.Args().First()}
			return err
		})
		if err := execute(app, append([]string{"otasim", "run"}, args...)); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := seen{Tolerance: []string{"adoption.final_share=20%,5", "api.updates.p99_ms=10%"}, Devices: 7, Seed: 1 << 40,
		Speed: 1.5e-3, Duration: 90 * time.Minute, Quiet: true, Out: "dir with space",
		RW: []string{"http://127.0.0.1:9090/api/v1/write?a=1,2"}, Scenario: "ci-smoke"}
	rw := "prometheus-rw=" + want.RW[0]
	tests := []struct {
		name string
		args []string
	}{
		{"before", []string{"--tolerance", "adoption.final_share=20%,5", "--tolerance=api.updates.p99_ms=10%", "--devices", "7",
			"--seed", "1099511627776", "--speed", "0.0015", "--duration", "1h30m", "-q", "--out", "dir with space", "--out", rw, "ci-smoke"}},
		{"after", []string{"ci-smoke", "--tolerance", "adoption.final_share=20%,5", "--tolerance=api.updates.p99_ms=10%", "--devices", "7",
			"--seed", "1099511627776", "--speed", "0.0015", "--duration", "1h30m", "-q", "--out", rw, "--out", "dir with space"}},
		{"split", []string{"--tolerance", "adoption.final_share=20%,5", "--devices", "7", "--seed", "1099511627776", "-q", "ci-smoke",
			"--tolerance=api.updates.p99_ms=10%", "--speed", "0.0015", "--duration", "1h30m", "--out", "dir with space", "--out=" + rw}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parse(t, tt.args); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}
