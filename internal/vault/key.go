package vault

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
)

// MemberKey is a member's age key as the server holds it: the public
// recipient, and the identity encrypted under the member's passphrase.
type MemberKey struct {
	User            identity.UserID
	Recipient       string // "age1…"
	WrappedIdentity []byte // an age file with one scrypt stanza
	UpdatedAt       time.Time
}

// MinPassphraseLength is the fewest characters NewMemberKey accepts. The
// wrapped identity sits on the server, so the passphrase is all that stands
// between a copy of the database and every clip of the member.
const MinPassphraseLength = 12

// SetKey stores the user's public recipient and passphrase-wrapped identity,
// replacing any earlier key. Clips encrypted to an earlier key stay
// readable only with that key's identity, so a client should rewrap them
// (Rewrap, AddWrap) before replacing it.
//
// SetKey checks only what it can without the passphrase: Invalid unless
// recipient is an age X25519 recipient, and wrappedIdentity is at most
// MaxKeySize bytes of an age file whose header has exactly one stanza, of
// type scrypt, with a work factor between Config.MinScryptWorkFactor and the
// most the browser's age implementation unlocks (20). It never tries to open it. A plaintext
// identity is refused by the same check. NotFound for an unknown user.
func (s *Service) SetKey(ctx context.Context, user identity.UserID, recipient string, wrappedIdentity []byte) error {
	const op = "vault.SetKey"
	if err := checkRecipient(op, recipient); err != nil {
		return err
	}
	if err := s.checkWrappedIdentity(op, wrappedIdentity); err != nil {
		return err
	}
	k := &MemberKey{User: user, Recipient: recipient, WrappedIdentity: wrappedIdentity, UpdatedAt: s.clock.Now()}
	return apperr.Wrap(op, s.store.SetMemberKey(ctx, k))
}

func (s *Service) checkWrappedIdentity(op string, b []byte) error {
	invalid := func(err error) error {
		return &apperr.Error{Op: op, Code: apperr.Invalid,
			Message: "The key must be an age identity encrypted with a passphrase.", Err: err}
	}
	if len(b) > MaxKeySize {
		return invalid(fmt.Errorf("%d bytes", len(b)))
	}
	h, err := readHeader(bufio.NewReader(bytes.NewReader(b)), MaxKeySize)
	if err != nil {
		return invalid(err)
	}
	if len(h.Stanzas) != 1 || h.Stanzas[0].Type != scryptType {
		return invalid(errors.New("not a single scrypt stanza"))
	}
	logN, err := scryptLogN(h.Stanzas[0])
	if err != nil {
		return invalid(err)
	}
	if logN < s.cfg.MinScryptWorkFactor || logN > maxScryptLogN {
		return &apperr.Error{Op: op, Code: apperr.Invalid,
			Message: fmt.Sprintf("The key's passphrase protection must use an scrypt work factor between %d and %d.",
				s.cfg.MinScryptWorkFactor, maxScryptLogN), Err: fmt.Errorf("logN %d", logN)}
	}
	if len(b) == len(h.Raw) {
		return invalid(errors.New("no payload"))
	}
	return nil
}

// Key returns the user's own recipient and wrapped identity. NotFound if the
// user has not set a key.
func (s *Service) Key(ctx context.Context, user identity.UserID) (string, []byte, error) {
	const op = "vault.Key"
	k, err := s.store.FindMemberKey(ctx, user)
	if apperr.Is(err, apperr.NotFound) {
		return "", nil, &apperr.Error{Op: op, Code: apperr.NotFound, Message: "You have not set up a media key yet.", Err: err}
	}
	if err != nil {
		return "", nil, apperr.Wrap(op, err)
	}
	return k.Recipient, k.WrappedIdentity, nil
}

// Recipients returns the recipient of every current member of the household
// who has set a key, in the household's member order. Members without a key
// are skipped: a clip recorded before a member sets one up is later shared
// with them by rewrapping. The caller (the device upload path) authorizes.
// NotFound if there is no such household.
func (s *Service) Recipients(ctx context.Context, hh household.ID) ([]string, error) {
	const op = "vault.Recipients"
	ids, err := s.households.MemberIDs(ctx, hh)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	keys, err := s.store.ListMemberKeys(ctx, ids)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.Recipient)
	}
	return out, nil
}

// KeyOption tunes NewMemberKey.
type KeyOption func(*keyOptions)

type keyOptions struct{ workFactor int }

// WithWorkFactor sets the scrypt work factor (log2 N) that protects the
// identity; NewMemberKey otherwise uses age's default (18). Tests lower it
// to stay fast; a server refuses anything below its MinScryptWorkFactor.
func WithWorkFactor(logN int) KeyOption { return func(o *keyOptions) { o.workFactor = logN } }

// NewMemberKey makes a member's age key on the client: a fresh X25519
// identity, its recipient, and the identity encrypted under passphrase as a
// standard age file (one scrypt stanza) for SetKey. The wrapped file
// decrypts with "age -d" and the passphrase to an identity file that
// "age -d -i" accepts. Invalid for a passphrase shorter than
// MinPassphraseLength characters.
func NewMemberKey(passphrase string, opts ...KeyOption) (*age.X25519Identity, string, []byte, error) {
	const op = "vault.NewMemberKey"
	if utf8.RuneCountInString(passphrase) < MinPassphraseLength {
		return nil, "", nil, apperr.E(op, apperr.Invalid,
			fmt.Sprintf("Use a passphrase of at least %d characters.", MinPassphraseLength))
	}
	var o keyOptions
	for _, f := range opts {
		f(&o)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, "", nil, apperr.Wrap(op, err)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, "", nil, apperr.Wrap(op, err)
	}
	if o.workFactor != 0 {
		r.SetWorkFactor(o.workFactor)
	}
	recipient := id.Recipient().String()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, "", nil, apperr.Wrap(op, err)
	}
	// The layout of age-keygen's output, so the decrypted file is a normal
	// identity file.
	fmt.Fprintf(w, "# public key: %s\n%s\n", recipient, id)
	if err := w.Close(); err != nil {
		return nil, "", nil, apperr.Wrap(op, err)
	}
	return id, recipient, buf.Bytes(), nil
}

// UnlockMemberKey decrypts a wrapped identity made by NewMemberKey (or any
// age identity file encrypted with a passphrase). Invalid for a wrong
// passphrase or a file that does not hold exactly one X25519 identity.
func UnlockMemberKey(wrapped []byte, passphrase string) (*age.X25519Identity, error) {
	const op = "vault.UnlockMemberKey"
	sid, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	r, err := age.Decrypt(bytes.NewReader(wrapped), sid)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The passphrase is not correct.", Err: err}
		}
		return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "This is not a passphrase-protected age key.", Err: err}
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxKeySize))
	if err != nil {
		return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "This is not a passphrase-protected age key.", Err: err}
	}
	defer clear(plain)
	ids, err := age.ParseIdentities(bytes.NewReader(plain))
	if err != nil || len(ids) != 1 {
		return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The file does not hold exactly one age identity.", Err: err}
	}
	id, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The file does not hold an X25519 age identity.",
			Err: fmt.Errorf("identity type %T", ids[0])}
	}
	return id, nil
}
