package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"hearth/internal/identity"
)

func adminUsage(w io.Writer) {
	fmt.Fprintln(w, `Usage: hearth admin <task> [flags]

Operator tasks. They open the same data directory and database as 'hearth
serve' (--data, --db, --config) and work while it runs.

Tasks:
  create-user   create an account of any role, with two-factor sign-in on

Run 'hearth admin <task> --help' for a task's flags.`)
}

func runAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runTasks(ctx, adminUsage, map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer) error{
		"create-user": runCreateUser,
	}, args, stdin, stdout, stderr)
}

func runCreateUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hearth admin create-user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	cfg.bind(fs, storeSettings)
	configPath := fs.String("config", "", "config file (TOML); also HEARTH_CONFIG")
	email := fs.String("email", "", "the account's e-mail address (required)")
	role := fs.String("role", string(identity.RoleResident), "role: "+roleList())
	passwordFile := fs.String("password-file", "", "file whose first line is the password; without it, the first line of standard input")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: hearth admin create-user --email E --role R [--password-file F]

Creates an active account with two-factor sign-in on, and prints its TOTP
secret, the otpauth:// URI for an authenticator app and ten recovery codes.
They are shown once: hand them to the account's owner.

Flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return usageError{"--email is required"}
	}
	if !identity.Role(*role).Valid() {
		return usageError{fmt.Sprintf("--role %q: use one of %s", *role, roleList())}
	}
	if err := cfg.resolve(fs, storeSettings, *configPath, os.Getenv); err != nil {
		return err
	}
	password, err := readPassword(*passwordFile, stdin)
	if err != nil {
		return err
	}
	m := NewMain(cfg, newLogger(stderr, "warn"))
	defer m.Close()
	if err := m.openStore(ctx); err != nil {
		return err
	}
	u, en, codes, err := m.Identity.CreateUser(ctx, *email, identity.Role(*role), password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created %s (%s), id %s.\n\n", u.Email, u.Role, u.ID)
	fmt.Fprintf(stdout, "TOTP secret:  %s\n", en.Secret)
	fmt.Fprintf(stdout, "otpauth URI:  %s\n\n", en.URI)
	fmt.Fprintln(stdout, "Recovery codes (each works once):")
	for _, c := range codes {
		fmt.Fprintf(stdout, "  %s\n", c)
	}
	fmt.Fprintln(stdout, "\nThese are shown only now.")
	return nil
}

// readPassword reads the first line of the file, or of stdin when file is "".
func readPassword(file string, stdin io.Reader) (string, error) {
	r := stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("open password file: %w", err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError{"no password given: use --password-file or write it on standard input"}
	}
	return line, nil
}

func roleList() string {
	var names []string
	for _, r := range identity.Roles {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}
