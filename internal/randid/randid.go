// Package randid makes Hearth's random identifiers: a short prefix naming
// what is identified, an underscore, and 128 random bits in lower-case
// base32 (26 characters), e.g. "h_k3…". Lower case and no padding keep
// them readable, typeable and safe in URLs and file names.
package randid

import (
	"crypto/rand"
	"encoding/base32"
	"io"
	"strings"
)

// Encoding is lower-case base32 without padding, for identifiers and tokens.
var Encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns prefix, "_" and 128 bits read from rnd.
func New(rnd io.Reader, prefix string) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", err
	}
	return prefix + "_" + Encoding.EncodeToString(b), nil
}

// Valid reports whether s has the shape of an identifier New makes with
// prefix. Callers check identifiers from outside before a store sees them,
// so that bytes no identifier holds (NUL, invalid UTF-8, path tricks) never
// reach a database, and a malformed identifier is simply not found.
func Valid(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != encodedLen {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// encodedLen is the length of 16 bytes in Encoding.
const encodedLen = 26

// Source returns r, or crypto/rand when r is nil: the default source of
// every service's Deps.
func Source(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
