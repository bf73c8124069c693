package vault

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"filippo.io/age"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

// Wrap is an extra age header for one clip: the clip's file key wrapped for
// one more recipient (see Rewrap). Served in front of the clip's payload it
// makes an age file that recipient can decrypt.
type Wrap struct {
	Clip      ClipID
	Recipient string // the age recipient the header was made for; names the wrap
	Header    []byte
	CreatedBy identity.UserID
	CreatedAt time.Time
}

// AddWrap stores a header a member made with Rewrap so that recipient can
// read the clip; a wrap for the same recipient is replaced. It returns
// NotFound to anyone who is not a member of the clip's household (as for a
// clip that does not exist), and Invalid unless recipient is an age X25519
// recipient and header is one age header of at most MaxWrapSize bytes whose
// stanzas are all X25519. The server cannot check that the header opens
// this clip's file key: only a holder of the recipient's identity can.
func (s *Service) AddWrap(ctx context.Context, user identity.UserID, id ClipID, recipient string, header []byte) error {
	const op = "vault.AddWrap"
	c, err := s.authorize(ctx, op, user, id)
	if err != nil {
		return err
	}
	if err := checkRecipient(op, recipient); err != nil {
		return err
	}
	h, err := parseHeader(header, MaxWrapSize)
	if err != nil {
		return &apperr.Error{Op: op, Code: apperr.Invalid,
			Message: fmt.Sprintf("The wrap must be a single age header of at most %d bytes.", MaxWrapSize), Err: err}
	}
	for _, st := range h.Stanzas {
		if st.Type != x25519Type {
			return &apperr.Error{Op: op, Code: apperr.Invalid,
				Message: "The wrap must be for X25519 recipients only.", Err: fmt.Errorf("stanza type %q", st.Type)}
		}
	}
	w := &Wrap{Clip: c.ID, Recipient: recipient, Header: h.Raw, CreatedBy: user, CreatedAt: s.clock.Now()}
	if err := s.store.PutWrap(ctx, w); err != nil {
		if apperr.Is(err, apperr.NotFound) { // the clip went meanwhile
			return &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNotFound, Err: err}
		}
		return apperr.Wrap(op, err)
	}
	return nil
}

// checkRecipient returns Invalid unless r is an age X25519 recipient in its
// canonical (lower-case) form, so one recipient always names one wrap.
func checkRecipient(op, r string) error {
	parsed, err := age.ParseX25519Recipient(r)
	if err != nil || parsed.String() != r {
		return &apperr.Error{Op: op, Code: apperr.Invalid,
			Message: "That is not an age public key (age1…).", Err: err}
	}
	return nil
}

// OpenFor returns the clip as an age file for recipient: the wrap's header
// followed by the clip's payload, read from the original blob. NotFound if
// the clip has no wrap for recipient. The caller decides who may read it
// (an agency through the access gate, say); the caller closes the reader.
func (s *Service) OpenFor(ctx context.Context, id ClipID, recipient string) (io.ReadCloser, error) {
	const op = "vault.OpenFor"
	w, err := s.store.FindWrap(ctx, id, recipient)
	if apperr.Is(err, apperr.NotFound) {
		return nil, &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNotFound, Err: err}
	}
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	c, err := s.store.FindClip(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return nil, &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNotFound, Err: err}
	}
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return s.openWrapped(ctx, op, c, w)
}

// openWrapped serves w's header and then c's blob from its payload offset.
func (s *Service) openWrapped(ctx context.Context, op string, c *Clip, w *Wrap) (io.ReadCloser, error) {
	rc, err := s.openBlob(ctx, op, c, c.HeaderSize)
	if err != nil {
		return nil, err
	}
	return readCloser{io.MultiReader(bytes.NewReader(w.Header), rc), rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// ListWraps returns the recipients a member's clip is shared with (the
// wraps, oldest first). NotFound for anyone who is not a member.
func (s *Service) ListWraps(ctx context.Context, user identity.UserID, id ClipID) ([]*Wrap, error) {
	const op = "vault.ListWraps"
	c, err := s.authorize(ctx, op, user, id)
	if err != nil {
		return nil, err
	}
	ws, err := s.store.ListWraps(ctx, c.ID)
	return ws, apperr.Wrap(op, err)
}

// RemoveWrap un-shares a clip: the recipient's header is deleted, so the
// server can no longer serve it an age file it can open. NotFound to anyone
// who is not a member of the clip's household, and when there is no such wrap.
func (s *Service) RemoveWrap(ctx context.Context, user identity.UserID, id ClipID, recipient string) error {
	const op = "vault.RemoveWrap"
	c, err := s.authorize(ctx, op, user, id)
	if err != nil {
		return err
	}
	err = s.store.DeleteWrap(ctx, c.ID, recipient)
	if apperr.Is(err, apperr.NotFound) {
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: "This clip is not shared with that key.", Err: err}
	}
	return apperr.Wrap(op, err)
}

// Clip returns a clip's metadata to a member of its household. NotFound to
// anyone else, as for a clip that does not exist.
func (s *Service) Clip(ctx context.Context, user identity.UserID, id ClipID) (*Clip, error) {
	return s.authorize(ctx, "vault.Clip", user, id)
}

// Describe returns a clip's metadata with no authorization, for a caller
// that has decided who may see it (an agency, for a clip a resident
// submitted to it). NotFound if the clip is gone.
func (s *Service) Describe(ctx context.Context, id ClipID) (*Clip, error) {
	const op = "vault.Describe"
	c, err := s.store.FindClip(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return nil, &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNotFound, Err: err}
	}
	return c, apperr.Wrap(op, err)
}
