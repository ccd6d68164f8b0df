package main

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst lets every command take its flags before or after its
// arguments (`otasim report latest --out F`): the flag parser stops at the
// first argument, so the arguments of a command line are reordered, once,
// before parsing. It finds the command (and subcommand) named, then moves
// each of its flags, with the value of a flag that takes one, in front of
// its positional arguments; everything after "--" stays an argument. An
// unknown flag moves too, so the parser rejects it (exit 2) instead of the
// command taking it for an argument.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	cmds, flags := app.Commands, app.Flags
	matched := false
	// The app's own flags, then the command path.
	for len(rest) > 0 {
		a := rest[0]
		if a == "--" {
			return append(out, rest...)
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			n := flagLen(flags, rest)
			out, rest = append(out, rest[:n]...), rest[n:]
			continue
		}
		c := findCommand(cmds, a)
		if c == nil {
			break // an argument of the command reached, or an unknown command
		}
		out, rest = append(out, a), rest[1:]
		cmds, flags, matched = c.Subcommands, c.Flags, true
		if len(cmds) == 0 {
			break
		}
	}
	if !matched {
		return append(out, rest...) // no command: the parser says what is wrong
	}
	var moved, positional []string
	for len(rest) > 0 {
		a := rest[0]
		switch {
		case a == "--":
			positional = append(positional, rest[1:]...)
			rest = nil
		case strings.HasPrefix(a, "-") && a != "-":
			n := flagLen(flags, rest)
			moved, rest = append(moved, rest[:n]...), rest[n:]
		default:
			positional, rest = append(positional, a), rest[1:]
		}
	}
	out = append(out, moved...)
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out
}

// flagLen is how many of args (args[0] a flag) belong to that flag: 2
// when it takes a value given as the next argument, else 1.
func flagLen(flags []cli.Flag, args []string) int {
	name := strings.TrimLeft(args[0], "-")
	if strings.Contains(name, "=") || len(args) < 2 {
		return 1
	}
	for _, f := range flags {
		if !slices.Contains(f.Names(), name) {
			continue
		}
		if v, ok := f.(cli.DocGenerationFlag); ok && v.TakesValue() {
			return 2
		}
		return 1
	}
	return 1 // unknown: the parser reports it
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c
		}
	}
	return nil
}

// addrProblem is the usage problem of a HOST:PORT flag's value, or ""
// when it has both parts (or is not set).
func addrProblem(flag, addr, example string) string {
	if addr == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Sprintf("--%s %q: want HOST:PORT, e.g. %s", flag, addr, example)
	}
	return ""
}
