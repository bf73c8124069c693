package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"hearth/client"
	"hearth/internal/translog"
)

func logUsage(w io.Writer) {
	fmt.Fprintln(w, `Usage: hearth log <task> [flags]

The public transparency log.

Tasks:
  key      print the log's verifier key (from the data directory)
  verify   verify a log served at a URL: signature, consistency, entries

Run 'hearth log <task> --help' for a task's flags.`)
}

func runLog(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runTasks(ctx, logUsage, map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer) error{
		"key":    runLogKey,
		"verify": runLogVerify,
	}, args, stdin, stdout, stderr)
}

func runLogKey(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hearth log key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	cfg.bind(fs, storeSettings[:1]) // --data only
	configPath := fs.String("config", "", "config file (TOML); also HEARTH_CONFIG")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: hearth log key [--data DIR]\n\nPrints the verifier key of the log kept in the data directory.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.resolve(fs, storeSettings[:1], *configPath, os.Getenv); err != nil {
		return err
	}
	key, err := translog.ReadVerifierKey(cfg.LogKeyPath())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}

func runLogVerify(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hearth log verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "base URL of the log, e.g. https://hearth.example.org/log/ (required)")
	key := fs.String("key", "", "verifier key; default: the one in the state file, else the server's /log/key (trust on first use)")
	state := fs.String("state", "", "file remembering the last verified checkpoint, to check the log only grows")
	entry := fs.Int64("entry", -1, "also check this entry's inclusion proof and print the entry")
	full := fs.Bool("full", false, "re-audit every entry, not only those added since the state file's checkpoint")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: hearth log verify --url URL [--key KEY] [--state FILE] [--entry N] [--full]

Fetches the log's checkpoint and checks its signature; checks that the log is
consistent with the checkpoint in the state file (it only ever grew); re-hashes
the entries added since and checks every tile and the root; with --entry,
checks that entry's inclusion proof and prints it. Exits 0 only when all of
this holds; otherwise prints one line saying what failed and exits 1.

Flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *url == "" {
		return usageError{"--url is required"}
	}
	if *entry < -1 {
		return usageError{"--entry must be an entry index (0 or more)"}
	}
	res, err := translog.Verify(ctx, translog.VerifyOptions{
		URL: *url, Key: *key, StateFile: *state, Entry: *entry, Full: *full, FetchKey: fetchKey,
	})
	if err != nil {
		return err
	}
	if res.KeyFromServer {
		fmt.Fprintln(stdout, "warning: the key was taken from the server itself (pass --key, or keep a --state file, to pin it)")
	}
	fmt.Fprintf(stdout, "ok: %s, %d entries, root %s\n", res.Origin, res.Size, base64.StdEncoding.EncodeToString(res.Root))
	if *state != "" && res.PreviousSize > 0 {
		fmt.Fprintf(stdout, "consistent with the %d entries seen before\n", res.PreviousSize)
	}
	fmt.Fprintf(stdout, "audited %d entries\n", res.Audited)
	if *entry >= 0 {
		fmt.Fprintf(stdout, "entry %d is included; proof:\n", res.Index)
		for _, h := range res.Proof {
			fmt.Fprintf(stdout, "  %s\n", base64.StdEncoding.EncodeToString(h))
		}
		fmt.Fprintf(stdout, "%s\n", res.Entry)
	}
	return nil
}

// fetchKey reads the verifier key a log server publishes at keyURL, for
// trust on first use.
func fetchKey(ctx context.Context, keyURL string) ([]byte, error) {
	key, err := client.LogKey(ctx, strings.TrimSuffix(keyURL, "key"))
	return []byte(key), err
}
