package vault

import (
	"bufio"
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"filippo.io/age"
)

// The age v1 format (age-encryption.org/v1): a header of recipient stanzas
// closed by a MAC line, then the payload (a nonce and the STREAM chunks).
const (
	ageIntro      = "age-encryption.org/v1\n"
	stanzaPrefix  = "-> "
	footerPrefix  = "---"
	bodyColumns   = 64 // base64 characters per full stanza body line
	macSize       = 32
	fileKeySize   = 16
	scryptType    = "scrypt"
	x25519Type    = "X25519"
	maxScryptLogN = 20 // the browser's age refuses to unlock anything costlier (the Go side stops at 22)
)

// stanza is one recipient stanza of an age header.
type stanza struct {
	Type string
	Args []string
	Body []byte
}

// header is a parsed age header.
type header struct {
	Raw     []byte // exactly as read, through the newline of the MAC line
	Stanzas []stanza
}

var b64 = base64.RawStdEncoding.Strict()

var errNotAge = errors.New("not an age file")

// readHeader reads one age header from br and no further, reading at most
// max bytes. Beyond the shape it parses, the header must be one the age
// library itself reads back byte for byte, so nothing vault accepts is
// something age would refuse or re-encode differently.
func readHeader(br *bufio.Reader, max int) (*header, error) {
	var raw []byte
	line := func() (string, error) {
		for {
			frag, err := br.ReadSlice('\n')
			if len(raw)+len(frag) > max {
				return "", fmt.Errorf("age header longer than %d bytes", max)
			}
			raw = append(raw, frag...)
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				return "", fmt.Errorf("%w: truncated header", errNotAge)
			}
			if err != nil {
				return "", err
			}
			start := bytes.LastIndexByte(raw[:len(raw)-1], '\n') + 1
			return string(raw[start : len(raw)-1]), nil
		}
	}
	// Check the intro before anything else, so non-age input is refused
	// after a few bytes rather than after max.
	intro, err := br.Peek(len(ageIntro))
	if err != nil || string(intro) != ageIntro {
		return nil, errNotAge
	}
	if _, err := line(); err != nil {
		return nil, err
	}
	h := &header{}
	for {
		l, err := line()
		if err != nil {
			return nil, err
		}
		if rest, ok := strings.CutPrefix(l, footerPrefix+" "); ok {
			if mac, err := b64.DecodeString(rest); err != nil || len(mac) != macSize {
				return nil, fmt.Errorf("%w: malformed MAC line", errNotAge)
			}
			break
		}
		rest, ok := strings.CutPrefix(l, stanzaPrefix)
		if !ok {
			return nil, fmt.Errorf("%w: malformed stanza line", errNotAge)
		}
		args := strings.Split(rest, " ")
		for _, a := range args {
			if !validArg(a) {
				return nil, fmt.Errorf("%w: malformed stanza argument", errNotAge)
			}
		}
		s := stanza{Type: args[0], Args: args[1:]}
		for {
			l, err := line()
			if err != nil {
				return nil, err
			}
			b, err := b64.DecodeString(l)
			if err != nil || len(l) > bodyColumns {
				return nil, fmt.Errorf("%w: malformed stanza body", errNotAge)
			}
			s.Body = append(s.Body, b...)
			if len(l) < bodyColumns {
				break // a body always ends with a short (maybe empty) line
			}
		}
		h.Stanzas = append(h.Stanzas, s)
	}
	if len(h.Stanzas) == 0 {
		return nil, fmt.Errorf("%w: no recipient stanzas", errNotAge)
	}
	again, err := age.ExtractHeader(bytes.NewReader(raw))
	if err != nil || !bytes.Equal(again, raw) {
		return nil, fmt.Errorf("%w: the age library reads the header differently: %v", errNotAge, err)
	}
	h.Raw = raw
	return h, nil
}

// parseHeader is readHeader for a header held in memory: b must be exactly
// one header, nothing before or after it.
func parseHeader(b []byte, max int) (*header, error) {
	if len(b) > max {
		return nil, fmt.Errorf("age header longer than %d bytes", max)
	}
	h, err := readHeader(bufio.NewReader(bytes.NewReader(b)), max)
	if err != nil {
		return nil, err
	}
	if len(h.Raw) != len(b) {
		return nil, fmt.Errorf("%w: data after the header", errNotAge)
	}
	return h, nil
}

// validArg reports whether s may be a stanza type or argument: one or more
// printable ASCII characters other than space.
func validArg(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}

// scryptLogN returns the work factor of a scrypt stanza after checking its
// shape (a 16-byte salt, a decimal log2 N, a 32-byte body).
func scryptLogN(s stanza) (int, error) {
	if s.Type != scryptType || len(s.Args) != 2 || len(s.Body) != fileKeySize+16 {
		return 0, errors.New("malformed scrypt stanza")
	}
	if salt, err := b64.DecodeString(s.Args[0]); err != nil || len(salt) != 16 {
		return 0, errors.New("malformed scrypt salt")
	}
	logN, err := strconv.Atoi(s.Args[1])
	if err != nil || logN <= 0 || s.Args[1] != strconv.Itoa(logN) {
		return 0, errors.New("malformed scrypt work factor")
	}
	return logN, nil
}

// Rewrap makes a new age header that gives the recipient to the same file
// key as the header of an existing age file, without touching its payload:
// id opens the file key, to wraps it, and the header MAC is computed anew.
// Served in front of the original payload, the new header makes an
// ordinary age file that to's identity decrypts (Service.OpenFor does
// exactly that). ciphertextHeader is the start of the clip's ciphertext:
// its header, optionally followed by any part of the payload, which is
// ignored. The new header holds to's stanzas only, so whoever receives it
// learns nothing about the other recipients.
//
// Rewrap runs where the identity lives (the CLI, a simulator, the browser
// in its own implementation); the server never calls it. It fails when id
// cannot open the header, including when the header MAC does not verify.
func Rewrap(ciphertextHeader []byte, id age.Identity, to age.Recipient) ([]byte, error) {
	fileKey, err := age.DecryptHeader(ciphertextHeader, id)
	if err != nil {
		return nil, fmt.Errorf("vault.Rewrap: open the file key: %w", err)
	}
	defer clear(fileKey)
	stanzas, err := to.Wrap(fileKey)
	if err != nil {
		return nil, fmt.Errorf("vault.Rewrap: wrap the file key: %w", err)
	}
	h, err := marshalHeader(fileKey, stanzas)
	if err != nil {
		return nil, fmt.Errorf("vault.Rewrap: %w", err)
	}
	return h, nil
}

// marshalHeader encodes an age header for stanzas, authenticated with
// HMAC-SHA256 under HKDF-SHA256(file key, no salt, "header") over every
// byte up to and including "---", as age-encryption.org/v1 specifies.
func marshalHeader(fileKey []byte, stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) == 0 {
		return nil, errors.New("no recipient stanzas")
	}
	var b bytes.Buffer
	b.WriteString(ageIntro)
	for _, s := range stanzas {
		if !validArg(s.Type) {
			return nil, fmt.Errorf("invalid stanza type %q", s.Type)
		}
		b.WriteString(stanzaPrefix + s.Type)
		for _, a := range s.Args {
			if !validArg(a) {
				return nil, fmt.Errorf("invalid stanza argument %q", a)
			}
			b.WriteString(" " + a)
		}
		b.WriteByte('\n')
		body := b64.EncodeToString(s.Body)
		for len(body) >= bodyColumns {
			b.WriteString(body[:bodyColumns] + "\n")
			body = body[bodyColumns:]
		}
		b.WriteString(body + "\n") // the final short line, empty if need be
	}
	b.WriteString(footerPrefix)
	key, err := hkdf.Key(sha256.New, fileKey, nil, "header", 32)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(b.Bytes())
	b.WriteString(" " + b64.EncodeToString(mac.Sum(nil)) + "\n")
	return b.Bytes(), nil
}
