package translog

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"hearth/internal/apperr"
)

// signingKey is the log's private key with what is derived from it.
type signingKey struct {
	signer      note.Signer
	verifierKey string
}

// loadOrCreateKey reads the signing key in path, or creates one named origin
// if the file does not exist. An existing key for another origin is refused:
// checkpoints signed under a new name would not verify for anyone who pinned
// the old key, so changing the host name is a deliberate operator action.
func loadOrCreateKey(path, origin string, rnd io.Reader) (signingKey, error) {
	const op = "translog.Open"
	k, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(path, origin, rnd); err != nil {
			return signingKey{}, apperr.Wrap(op, err)
		}
		k, err = readKey(path)
	}
	if err != nil {
		return signingKey{}, apperr.Wrap(op, err)
	}
	if name := k.signer.Name(); name != origin {
		return signingKey{}, apperr.E(op, apperr.Invalid, fmt.Sprintf(
			"the log key in %s is for origin %q, not %q: the origin is part of every checkpoint, so keep the old origin or move the log and its key away to start a new log", path, name, origin))
	}
	return k, nil
}

// ReadVerifierKey returns the verifier key ("<origin>+<hash>+<base64>") for
// the private key in keyFile, without opening the log. It fails with NotFound
// if there is no key file and Invalid if the file is not a signing key or is
// readable by others.
func ReadVerifierKey(keyFile string) (string, error) {
	k, err := readKey(keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", apperr.E("translog.ReadVerifierKey", apperr.NotFound, fmt.Sprintf("no log key at %s: the log is created by the first `hearth serve`", keyFile))
	}
	if err != nil {
		return "", apperr.Wrap("translog.ReadVerifierKey", err)
	}
	return k.verifierKey, nil
}

func readKey(path string) (signingKey, error) {
	const op = "translog.readKey"
	f, err := os.Open(path)
	if err != nil {
		return signingKey{}, err // keeps fs.ErrNotExist visible to callers
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return signingKey{}, apperr.Errorf(op, "stat %s: %w", path, err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return signingKey{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("the log key %s is readable by others (mode %04o): run chmod 600 on it", path, info.Mode().Perm()))
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return signingKey{}, apperr.Errorf(op, "read %s: %w", path, err)
	}
	skey := strings.TrimSpace(string(b))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return signingKey{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("%s is not a note signing key (PRIVATE+KEY+...)", path))
	}
	vkey, err := verifierKeyFor(skey, signer.Name())
	if err != nil {
		return signingKey{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("%s: %v", path, err))
	}
	return signingKey{signer: signer, verifierKey: vkey}, nil
}

// verifierKeyFor derives the public verifier key from an Ed25519 note
// signing key ("PRIVATE+KEY+<name>+<hash>+<base64(alg, seed)>"), which
// note.NewSigner has already validated.
func verifierKeyFor(skey, name string) (string, error) {
	// The name has no '+', but the base64 key may.
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("not a note signing key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 signing key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(name, pub)
}

// createKey writes a new key to path with mode 0600. It links a complete
// temporary file into place so a crash never leaves a half-written key, and
// never replaces a key another process created meanwhile.
func createKey(path, origin string, rnd io.Reader) error {
	const op = "translog.createKey"
	if rnd == nil {
		rnd = rand.Reader
	}
	skey, _, err := note.GenerateKey(rnd, origin)
	if err != nil {
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("cannot make a log key for origin %q: %v", origin, err))
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return apperr.Errorf(op, "create key directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".logkey-*")
	if err != nil {
		return apperr.Errorf(op, "create key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return apperr.Errorf(op, "create key: %w", err)
	}
	if _, err := tmp.WriteString(skey + "\n"); err != nil {
		tmp.Close()
		return apperr.Errorf(op, "write key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return apperr.Errorf(op, "sync key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return apperr.Errorf(op, "write key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return apperr.Errorf(op, "install key: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return apperr.Errorf("translog.syncDir", "open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return apperr.Errorf("translog.syncDir", "sync %s: %w", dir, err)
	}
	return nil
}
