package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"hearth/client"
	"hearth/internal/vault"
)

func vaultUsage(w io.Writer) {
	fmt.Fprintln(w, `Usage: hearth vault <task> [flags]

A member's clips and key, from any machine, through the API.

Tasks:
  get      download a clip and decrypt it with your identity file
  key      make your key (create) or save your identity file (export)
  rewrap   let another key open a household's clips, without re-uploading
           them: your new key, or a member who joined later

Each task signs in with an API token (make one on the account page, scope
account:read, plus account:write for "key create"): --token-file FILE, or
the HEARTH_TOKEN environment variable.

Run 'hearth vault <task> --help' for a task's flags.`)
}

func runVault(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runTasks(ctx, vaultUsage, map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer) error{
		"get":    runVaultGet,
		"key":    runVaultKey,
		"rewrap": runVaultRewrap,
	}, args, stdin, stdout, stderr)
}

// apiFlags are the flags of every command that calls the API as a member.
type apiFlags struct {
	server, tokenFile string
}

func (f *apiFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.server, "server", "", "Hearth's base URL, e.g. https://hearth.example.org (required)")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding an API token; default: the HEARTH_TOKEN environment variable")
}

// client checks the flags and returns an API client. The token is never a
// flag of its own: command lines are visible to every user of the machine.
func (f *apiFlags) client(getenv func(string) string) (*client.Client, error) {
	if f.server == "" {
		return nil, usageError{"--server is required"}
	}
	u, err := url.Parse(f.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Sprintf("--server %q is not an http(s) URL", f.server)}
	}
	token := getenv("HEARTH_TOKEN")
	if f.tokenFile != "" {
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("read the token: %w", err)
		}
		token = string(b)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, usageError{"give an API token with --token-file or HEARTH_TOKEN"}
	}
	c, err := client.New(f.server, client.WithToken(token))
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return c, nil
}

func runVaultGet(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hearth vault get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var api apiFlags
	api.bind(fs)
	clip := fs.String("clip", "", "the clip's id, c_… (required)")
	identityFile := fs.String("identity", "", "your age identity file (from 'hearth vault key export' or the browser); required unless --encrypted")
	out := fs.String("o", "", "where to write the clip; - for standard output (required)")
	encrypted := fs.Bool("encrypted", false, "save the ciphertext as stored, for 'age -d -i FILE'")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: hearth vault get --server URL --clip ID --identity FILE -o OUT

Downloads a clip of one of your households and decrypts it on this machine
with your age identity; the server only ever sends ciphertext. An output
file appears only once the whole clip has decrypted and authenticated (with
-o -, each 64 KiB is authenticated before it is written).

Flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := api.client(os.Getenv)
	if err != nil {
		return err
	}
	if err := checkIDFlag("clip", *clip, "c"); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"-o is required (- for standard output)"}
	}
	var ids []age.Identity
	if !*encrypted {
		if *identityFile == "" {
			return usageError{"--identity is required (or --encrypted to save the ciphertext)"}
		}
		if ids, err = readIdentities(*identityFile); err != nil {
			return err
		}
	}
	body, err := c.ClipContent(ctx, client.ClipID(*clip))
	if err != nil {
		return err
	}
	defer body.Close()
	var content io.Reader = body
	if !*encrypted {
		if content, err = age.Decrypt(body, ids...); err != nil {
			var noMatch *age.NoIdentityMatchError
			if errors.As(err, &noMatch) {
				return errors.New("this identity cannot open the clip: it was encrypted to other keys (was your key made after the clip was recorded?)")
			}
			return fmt.Errorf("decrypt: %w", err)
		}
	}
	if *out == "-" {
		_, err := io.Copy(stdout, content)
		return err
	}
	return writeAtomically(*out, content)
}

// checkIDFlag returns a usage error unless the flag --name holds an
// identifier with the prefix, with nothing that would change the API path.
func checkIDFlag(name, value, prefix string) error {
	if !strings.HasPrefix(value, prefix+"_") || strings.ContainsAny(value, "/?#%") {
		return usageError{fmt.Sprintf("--%s must be a %s id, like %s_…", name, name, prefix)}
	}
	return nil
}

// readIdentities reads an age identity file; it refuses a passphrase-wrapped
// one with a hint, since that is what the server keeps.
func readIdentities(path string) ([]age.Identity, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the identity: %w", err)
	}
	if bytes.HasPrefix(b, []byte("age-encryption.org/")) || bytes.HasPrefix(b, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
		return nil, fmt.Errorf("%s is passphrase-protected; save the plain identity with 'hearth vault key export'", path)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s is not an age identity file: %w", path, err)
	}
	return ids, nil
}

// writeAtomically writes r to path through a temporary file in the same
// directory, so a failed or unauthenticated download leaves nothing behind
// and never truncates an existing file.
func writeAtomically(path string, r io.Reader) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op after the rename
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func runVaultKey(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hearth vault key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var api apiFlags
	api.bind(fs)
	out := fs.String("identity-out", "", "where to write your plain age identity file (mode 0600; required)")
	passFile := fs.String("passphrase-file", "", "file holding your key passphrase; default: read a line from standard input")
	replace := fs.Bool("replace", false, "create: replace a key you already have (clips encrypted to the old key stay readable only with the old identity)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: hearth vault key create|export --server URL --identity-out FILE [--passphrase-file F]

create  makes a new age identity on this machine, sends the server its
        recipient and the identity encrypted under your passphrase (the
        passphrase never leaves this machine), and writes the identity file.
export  fetches your passphrase-protected identity, unlocks it here, and
        writes the identity file, for 'hearth vault get' or 'age -d -i'.

Flags:`)
		fs.PrintDefaults()
	}
	if len(args) == 0 || (args[0] != "create" && args[0] != "export") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fs.Usage()
			return flag.ErrHelp
		}
		fs.Usage()
		return usageError{"say create or export"}
	}
	action := args[0]
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	c, err := api.client(os.Getenv)
	if err != nil {
		return err
	}
	if *out == "" {
		return usageError{"--identity-out is required"}
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s exists; choose another file (an identity file is never overwritten)", *out)
	}
	passphrase, err := readPassphrase(*passFile, stdin)
	if err != nil {
		return err
	}
	var id *age.X25519Identity
	switch action {
	case "create":
		if !*replace {
			_, err := c.Key(ctx)
			if err == nil {
				return errors.New("you already have a key; use 'key export' to save its identity, or --replace to make a new one")
			}
			if !client.IsCode(err, client.NotFound) {
				return fmt.Errorf("find your current key: %w", err)
			}
		}
		var recipient string
		var wrapped []byte
		if id, recipient, wrapped, err = vault.NewMemberKey(passphrase); err != nil {
			return err
		}
		if err := c.SetKey(ctx, client.Key{Recipient: recipient, WrappedIdentity: wrapped}); err != nil {
			return err
		}
	case "export":
		k, err := c.Key(ctx)
		if err != nil {
			return err
		}
		if id, err = vault.UnlockMemberKey(k.WrappedIdentity, passphrase); err != nil {
			return err
		}
	}
	identityFile := fmt.Sprintf("# public key: %s\n%s\n", id.Recipient(), id)
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(identityFile); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "public key: %s\nidentity written to %s\n", id.Recipient(), *out)
	return nil
}

// readPassphrase reads the first line of the passphrase file, or of stdin.
func readPassphrase(path string, stdin io.Reader) (string, error) {
	r := stdin
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("read the passphrase: %w", err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the passphrase: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError{"no passphrase given (--passphrase-file, or a line on standard input)"}
	}
	return line, nil
}

func runVaultRewrap(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hearth vault rewrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var api apiFlags
	api.bind(fs)
	hh := fs.String("household", "", "the household whose clips to rewrap, h_… (required)")
	identityFile := fs.String("identity", "", "an identity file that opens the clips today, e.g. your old key's (required)")
	to := fs.String("to", "", "the age recipient (age1…) to let in; default: your current key")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: hearth vault rewrap --server URL --household ID --identity FILE [--to age1…]

For every clip of the household that FILE opens, makes a new age header
holding the clip's key for the recipient, on this machine, and stores it
next to the clip. The video is not uploaded again and the server never sees
a clip key. Use it after making a new key (with your old identity file), or
to share clips recorded before a member joined (with --to their key).
The token needs account:read and account:write.

Flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := api.client(os.Getenv)
	if err != nil {
		return err
	}
	if err := checkIDFlag("household", *hh, "h"); err != nil {
		return err
	}
	if *identityFile == "" {
		return usageError{"--identity is required"}
	}
	ids, err := readIdentities(*identityFile)
	if err != nil {
		return err
	}
	recipientText := *to
	if recipientText == "" {
		k, err := c.Key(ctx)
		if err != nil {
			return fmt.Errorf("find your current key: %w", err)
		}
		recipientText = k.Recipient
	}
	recipient, err := age.ParseX25519Recipient(recipientText)
	if err != nil {
		return usageError{fmt.Sprintf("--to %q is not an age recipient (age1…)", recipientText)}
	}
	var shared, skipped int
	for clip, err := range c.AllClips(ctx, client.HouseholdID(*hh), client.ClipQuery{}) {
		if err != nil {
			return err
		}
		id := clip.ID
		header, err := clipHeader(ctx, c, id)
		if err != nil {
			return err
		}
		var wrap []byte
		for _, identity := range ids {
			if wrap, err = vault.Rewrap(header, identity, recipient); err == nil {
				break
			}
		}
		if wrap == nil {
			skipped++
			continue
		}
		if err := c.AddWrap(ctx, id, recipientText, wrap); err != nil {
			return err
		}
		shared++
	}
	fmt.Fprintf(stdout, "%d clips now open with %s", shared, recipientText)
	if skipped > 0 {
		fmt.Fprintf(stdout, "; %d left as they were (this identity does not open them: recorded for other keys, or already rewrapped)", skipped)
	}
	fmt.Fprintln(stdout)
	return nil
}

// clipHeader reads the start of a clip's ciphertext: enough for its age
// header, which is all a rewrap needs; the rest is never downloaded.
func clipHeader(ctx context.Context, c *client.Client, id client.ClipID) ([]byte, error) {
	body, err := c.ClipContent(ctx, id)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	buf := make([]byte, vault.MaxClipHeaderSize)
	n, err := io.ReadFull(body, buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("read clip %s: %w", id, err)
	}
	return buf[:n], nil
}
