package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/otasim/otasim/appbundle"
)

func bundleCommand() *cli.Command {
	return &cli.Command{
		Name:  "bundle",
		Usage: "build web bundles (zip, per-file manifest, encrypted) as the Capgo CLI does",
		Description: "Bundles built here are what `npx @capgo/cli bundle upload [--delta]` builds and\n" +
			"capacitor-updater reads: a deflated zip and its SHA-256, optionally a per-file\n" +
			"manifest (files of 8 KiB or more brotli-compressed when that helps, as .br),\n" +
			"optionally encryption v2 (AES-128-CBC with a session key protected by the app's\n" +
			"RSA-2048 private key; the checksum and every file hash protected the same way).\n" +
			"README.md, \"Real bundles\", shows how to upload them to the reference server.",
		Subcommands: []*cli.Command{bundleBuildCommand(), bundleKeygenCommand()},
	}
}

func bundleBuildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build a bundle from a web app's build folder",
		ArgsUsage: "DIR",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the zip (encrypted with --encrypt) to `FILE`", Required: true},
			&cli.StringFlag{Name: "manifest", Usage: "also write the per-file manifest to `FILE.json` (the admin API's bundle body) and the files to upload to FILE.files/, named by SHA-256"},
			&cli.StringFlag{Name: "name", Usage: "the bundle's `VERSION` in the manifest's body"},
			&cli.BoolFlag{Name: "encrypt", Usage: "encrypt the bundle with --key (encryption v2)"},
			&cli.StringFlag{Name: "key", Usage: "the app's private key `FILE` (from otasim bundle keygen or npx @capgo/cli key create)", Value: ".capgo_key_v2"},
			&cli.BoolFlag{Name: "no-brotli", Usage: "store every manifest file uncompressed (the CLI's --disable-brotli)"},
		},
		Action: bundleBuild,
	}
}

func bundleBuild(c *cli.Context) error {
	stdout, _ := writers(c)
	if c.NArg() != 1 {
		return cli.Exit("bundle build takes one folder, the web app's build output (e.g. dist)", exitUsage)
	}
	if c.IsSet("key") && !c.Bool("encrypt") {
		return cli.Exit("--key is read only with --encrypt", exitUsage)
	}
	files, err := appbundle.ReadDir(c.Args().First())
	if err != nil {
		return err
	}
	opt := appbundle.Options{Manifest: c.String("manifest") != "", NoBrotli: c.Bool("no-brotli")}
	if c.Bool("encrypt") {
		raw, err := os.ReadFile(c.String("key"))
		if err != nil {
			return fmt.Errorf("--key: %w (create one with otasim bundle keygen)", err)
		}
		if opt.Key, err = appbundle.ParsePrivatePEM(raw); err != nil {
			return fmt.Errorf("--key %s: %w", c.String("key"), err)
		}
	}
	b, err := appbundle.Build(files, opt)
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.String("out"), b.Zip, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "zip       %s (%d bytes, %d files)\n", c.String("out"), len(b.Zip), len(files))
	fmt.Fprintf(stdout, "checksum  %s\n", b.Checksum)
	if b.SessionKey != "" {
		fmt.Fprintf(stdout, "session   %s\nkey_id    %s\n", b.SessionKey, b.KeyID)
	}
	if m := c.String("manifest"); m != "" {
		dir, err := writeManifest(m, c.String("name"), b)
		if err != nil {
			return err
		}
		var stored int64
		br := 0
		for _, e := range b.Manifest {
			stored += int64(len(e.Data))
			if strings.HasSuffix(e.FileName, ".br") {
				br++
			}
		}
		fmt.Fprintf(stdout, "manifest  %s (%d files, %d brotli, %d bytes to serve), files in %s\n", m, len(b.Manifest), br, stored, dir)
	}
	return nil
}

// writeManifest writes the admin API's body for the bundle and the files
// it names (the zip and every manifest file) into NAME.files/.
func writeManifest(path, name string, b *appbundle.Built) (string, error) {
	dir := strings.TrimSuffix(path, filepath.Ext(path)) + ".files"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	put := func(data []byte) error {
		p := filepath.Join(dir, appbundle.SHA256Hex(data))
		if _, err := os.Stat(p); err == nil {
			return nil // the same bytes are stored once
		}
		return os.WriteFile(p, data, 0o644)
	}
	if err := put(b.Zip); err != nil {
		return "", err
	}
	for i := range b.Manifest {
		if err := put(b.Manifest[i].Data); err != nil {
			return "", err
		}
	}
	raw, err := json.MarshalIndent(b.Upload(name), "", "  ")
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(path, append(raw, '\n'), 0o644)
}

func bundleKeygenCommand() *cli.Command {
	return &cli.Command{
		Name:  "keygen",
		Usage: "make an app's RSA-2048 key pair as npx @capgo/cli key create does",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the private key to `FILE` and the public key to FILE.pub", Value: ".capgo_key_v2"},
			&cli.BoolFlag{Name: "force", Usage: "replace existing key files"},
		},
		Action: func(c *cli.Context) error {
			stdout, _ := writers(c)
			if c.NArg() > 0 {
				return cli.Exit("bundle keygen takes no arguments; name the files with --out", exitUsage)
			}
			out := c.String("out")
			flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if c.Bool("force") {
				flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			k, err := appbundle.GenerateKey()
			if err != nil {
				return err
			}
			pub := appbundle.PublicPEM(&k.PublicKey)
			for _, f := range []struct {
				path string
				data []byte
				mode os.FileMode
			}{{out, appbundle.PrivatePEM(k), 0o600}, {out + ".pub", pub, 0o644}} {
				if err := writeNew(f.path, f.data, flag, f.mode); err != nil {
					return err
				}
			}
			fmt.Fprintf(stdout, "private key  %s (keep it secret; bundle build --encrypt --key %s)\n", out, out)
			fmt.Fprintf(stdout, "public key   %s (the app's CapacitorUpdater.publicKey)\n", out+".pub")
			fmt.Fprintf(stdout, "key_id       %s\n", appbundle.KeyID(pub))
			return nil
		},
	}
}

func writeNew(path string, data []byte, flag int, mode os.FileMode) error {
	f, err := os.OpenFile(path, flag, mode)
	if errors.Is(err, fs.ErrExist) {
		return cli.Exit(path+" exists; pass --force to replace it", exitError)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
