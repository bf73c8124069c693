package identity

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"hearth/internal/apperr"
)

// Password length bounds, in characters. There are no composition rules:
// length and the common-password list do the work.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// commonPasswords is the top of the leaked-password frequency lists that the
// zxcvbn project publishes (MIT licence), lower-cased and de-duplicated.
//
//go:embed common-passwords.txt
var commonPasswords []byte

// CommonPasswords is a set of passwords too common to accept.
type CommonPasswords map[string]struct{}

// LoadCommonPasswords returns the shipped list.
func LoadCommonPasswords() CommonPasswords {
	set := make(CommonPasswords, 50000)
	sc := bufio.NewScanner(bytes.NewReader(commonPasswords))
	for sc.Scan() {
		if w := sc.Text(); w != "" {
			set[w] = struct{}{}
		}
	}
	return set
}

// Contains reports whether pw, ignoring case, is on the list.
func (c CommonPasswords) Contains(pw string) bool {
	_, ok := c[strings.ToLower(pw)]
	return ok
}

// CheckPassword applies the password policy: length in characters between
// MinPasswordLength and MaxPasswordLength, not on the common list, not the
// e-mail address. It returns an Invalid error that says which rule failed.
func (c CommonPasswords) CheckPassword(pw, email string) error {
	const op = "identity.CheckPassword"
	if !utf8.ValidString(pw) {
		return apperr.E(op, apperr.Invalid, "The password is not valid text.")
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("The password must be at least %d characters long; a few words make a good one.", MinPasswordLength))
	case n > MaxPasswordLength:
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("The password must be at most %d characters long.", MaxPasswordLength))
	case c.Contains(pw):
		return apperr.E(op, apperr.Invalid, "This password is on a list of common passwords; please choose another.")
	case email != "" && strings.EqualFold(pw, email):
		return apperr.E(op, apperr.Invalid, "The password must not be your e-mail address.")
	}
	return nil
}

// Argon2Params are argon2id cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 follows the OWASP recommendation for argon2id
// (19 MiB, 2 passes, 1 lane): a fair cost on a 2-core server.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const argonKeyLen = 32

// hashPassword returns pw hashed with argon2id in the PHC string format
// $argon2id$v=19$m=...,t=...,p=...$salt$hash, so parameters can change later
// without invalidating stored hashes.
func hashPassword(pw string, p Argon2Params, rand io.Reader) (string, error) {
	salt := make([]byte, 16)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verifyPassword reports whether pw matches the PHC-encoded argon2id hash.
func verifyPassword(pw, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("unsupported argon2 version %q", parts[2])
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("bad argon2 parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("bad salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("bad hash: %w", err)
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
