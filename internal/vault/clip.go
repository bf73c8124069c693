package vault

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/randid"
)

// ClipID identifies a clip: "c_" and 26 base32 characters.
type ClipID string

// Valid reports whether id has the shape of the identifier of a clip ("c_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id ClipID) Valid() bool { return randid.Valid("c", string(id)) }

// Kind is what a clip holds.
type Kind string

// Clip kinds.
const (
	KindVideo    Kind = "video"
	KindAudio    Kind = "audio"
	KindSnapshot Kind = "snapshot"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindVideo || k == KindAudio || k == KindSnapshot }

// Clip is a recording as the server knows it: the metadata SPEC §3 allows,
// next to a ciphertext blob it cannot read.
type Clip struct {
	ID          ClipID
	Household   household.ID
	Device      device.ID
	Kind        Kind
	Start, End  time.Time
	Size        int64  // bytes of ciphertext
	HeaderSize  int64  // bytes of the original age header; the payload starts here
	ContentHash string // hex SHA-256 of the ciphertext
	CreatedAt   time.Time
}

// Upload describes a clip a device is uploading.
type Upload struct {
	Household household.ID
	Device    device.ID
	Kind      Kind
	Start     time.Time
	End       time.Time
}

// blobKey is where a clip's ciphertext lives. The household prefix lets an
// operator find a household's blobs; the key never changes for a clip.
func blobKey(hh household.ID, id ClipID) string {
	return "clips/" + string(hh) + "/" + string(id) + ".age"
}

// errTooLarge is what limitReader fails with; Put turns it into Invalid.
var errTooLarge = errors.New("clip larger than allowed")

// limitReader passes through at most max bytes and fails with errTooLarge
// on the first byte past it, so the blob write is abandoned.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1] // one byte more than allowed tells "exactly max" from "more"
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, errTooLarge // never hand on a byte past the limit
	}
	return n, err
}

// Put stores a clip that a device uploads. The caller has authenticated the
// device and checked that it belongs to up.Household. The ciphertext is
// streamed to the blob store while it is hashed, never held whole.
//
// Put returns the clip and true when it is new; the existing clip and false
// when the household already has a clip with the same bytes (no second blob
// is kept), so a device may safely retry. It returns Invalid, having stored
// nothing, for an upload longer than maxBytes, for content that is not an
// age file encrypted to X25519 recipients (a guard: honest devices never
// send plaintext), for an unknown kind, for Start after End, and for an End
// more than Config.MaxClockSkew in the future; NotFound if the household
// does not exist. The server cannot check the header MAC or the payload
// (it has no file key): a damaged file is stored and fails for its reader.
func (s *Service) Put(ctx context.Context, up Upload, r io.Reader, maxBytes int64) (*Clip, bool, error) {
	const op = "vault.Put"
	if err := s.checkUpload(up); err != nil {
		return nil, false, apperr.Wrap(op, err)
	}
	if maxBytes <= 0 {
		return nil, false, apperr.Errorf(op, "maxBytes %d", maxBytes)
	}
	id, err := s.newID("c")
	if err != nil {
		return nil, false, apperr.Wrap(op, err)
	}
	tooLarge := &apperr.Error{Op: op, Code: apperr.Invalid,
		Message: fmt.Sprintf("The clip is larger than the limit of %d bytes.", maxBytes), Err: errTooLarge}

	// The header is read and checked before anything is written, so
	// refused content never reaches the blob store.
	br := bufio.NewReader(&limitReader{r: r, left: maxBytes})
	h, err := readHeader(br, MaxClipHeaderSize)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, false, tooLarge
	case err != nil:
		return nil, false, &apperr.Error{Op: op, Code: apperr.Invalid,
			Message: "The clip is not an age-encrypted file.", Err: err}
	}
	for _, st := range h.Stanzas {
		if st.Type != x25519Type {
			return nil, false, &apperr.Error{Op: op, Code: apperr.Invalid,
				Message: "The clip must be encrypted to X25519 recipients only.", Err: fmt.Errorf("stanza type %q", st.Type)}
		}
	}

	sum := sha256.New()
	body := io.TeeReader(io.MultiReader(bytes.NewReader(h.Raw), br), sum)
	key := blobKey(up.Household, ClipID(id))
	n, err := s.blobs.Put(ctx, key, body)
	if errors.Is(err, errTooLarge) {
		return nil, false, tooLarge
	}
	if err != nil {
		return nil, false, apperr.Wrap(op, err)
	}
	c := &Clip{
		ID: ClipID(id), Household: up.Household, Device: up.Device, Kind: up.Kind,
		Start: up.Start, End: up.End, Size: n, HeaderSize: int64(len(h.Raw)),
		ContentHash: hex.EncodeToString(sum.Sum(nil)), CreatedAt: s.clock.Now(),
	}
	err = s.store.CreateClip(ctx, c)
	if err == nil {
		return c, true, nil
	}
	// Whatever happened, this upload's blob must not outlive the failure.
	if derr := s.blobs.Delete(ctx, key); derr != nil {
		return nil, false, apperr.Wrap(op, errors.Join(err, derr))
	}
	if apperr.Is(err, apperr.Conflict) {
		// The same bytes were uploaded before (or concurrently): the
		// hash is known only now, after the upload, so the duplicate goes.
		if existing, ferr := s.store.FindClipByHash(ctx, c.Household, c.ContentHash); ferr == nil {
			return existing, false, nil
		}
	}
	return nil, false, apperr.Wrap(op, err)
}

func (s *Service) checkUpload(up Upload) error {
	const op = "vault.checkUpload"
	switch {
	case up.Household == "" || up.Device == "":
		return apperr.Errorf(op, "upload without household or device")
	case !up.Kind.Valid():
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("Unknown clip kind %q.", up.Kind))
	case up.Start.IsZero() || up.End.IsZero():
		return apperr.E(op, apperr.Invalid, "A clip needs a start and an end time.")
	case up.Start.After(up.End):
		return apperr.E(op, apperr.Invalid, "A clip cannot end before it starts.")
	case up.End.After(s.clock.Now().Add(s.cfg.MaxClockSkew)):
		return apperr.E(op, apperr.Invalid, "A clip cannot end in the future; check the device's clock.")
	}
	return nil
}

// List returns up to limit of the household's clips that started in
// [from, to), latest first; a zero from or to leaves that side open, and a
// limit ≤ 0 means DefaultListLimit (at most MaxListLimit). Only members may
// list: NotFound for anyone else, as for a household that does not exist.
func (s *Service) List(ctx context.Context, user identity.UserID, hh household.ID, from, to time.Time, limit int) ([]*Clip, error) {
	const op = "vault.List"
	if err := s.member(ctx, op, hh, user, msgNoHousehold); err != nil {
		return nil, err
	}
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		return nil, apperr.E(op, apperr.Invalid, "The start of the period is after its end.")
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	clips, err := s.store.ListClips(ctx, hh, from, to, limit)
	return clips, apperr.Wrap(op, err)
}

// Open returns a clip and its ciphertext exactly as uploaded, for a member
// of its household. NotFound for anyone else, exactly as for a clip that
// does not exist. The caller closes the reader.
func (s *Service) Open(ctx context.Context, user identity.UserID, id ClipID) (*Clip, io.ReadCloser, error) {
	const op = "vault.Open"
	c, err := s.authorize(ctx, op, user, id)
	if err != nil {
		return nil, nil, err
	}
	rc, err := s.openBlob(ctx, op, c, 0)
	if err != nil {
		return nil, nil, err
	}
	return c, rc, nil
}

// OpenForMember is Open for a member who may not be among the clip's
// original recipients (one who joined after it was recorded): when the
// member's key has a wrap on the clip, it serves that wrap's header in
// front of the payload, and the ciphertext as uploaded otherwise.
func (s *Service) OpenForMember(ctx context.Context, user identity.UserID, id ClipID) (*Clip, io.ReadCloser, error) {
	const op = "vault.OpenForMember"
	c, err := s.authorize(ctx, op, user, id)
	if err != nil {
		return nil, nil, err
	}
	k, err := s.store.FindMemberKey(ctx, user)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return nil, nil, apperr.Wrap(op, err)
	}
	if k != nil {
		w, err := s.store.FindWrap(ctx, c.ID, k.Recipient)
		switch {
		case err == nil:
			rc, err := s.openWrapped(ctx, op, c, w)
			if err != nil {
				return nil, nil, err
			}
			return c, rc, nil
		case !apperr.Is(err, apperr.NotFound):
			return nil, nil, apperr.Wrap(op, err)
		}
	}
	rc, err := s.openBlob(ctx, op, c, 0)
	if err != nil {
		return nil, nil, err
	}
	return c, rc, nil
}

// openBlob opens the clip's blob from offset; a blob that is gone (purged
// meanwhile) reads as a missing clip.
func (s *Service) openBlob(ctx context.Context, op string, c *Clip, offset int64) (io.ReadCloser, error) {
	rc, err := s.blobs.Get(ctx, blobKey(c.Household, c.ID), offset)
	if apperr.Is(err, apperr.NotFound) {
		return nil, &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNotFound, Err: err}
	}
	return rc, apperr.Wrap(op, err)
}

// Delete deletes a clip, its blob and its wraps, for a member of its
// household. NotFound for anyone else, as for a clip that does not exist.
func (s *Service) Delete(ctx context.Context, user identity.UserID, id ClipID) error {
	const op = "vault.Delete"
	c, err := s.authorize(ctx, op, user, id)
	if err != nil {
		return err
	}
	err = s.deleteClip(ctx, c)
	if apperr.Is(err, apperr.NotFound) { // deleted meanwhile
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNotFound, Err: err}
	}
	return apperr.Wrap(op, err)
}

// deleteClip removes the blob first and the rows after: if the second step
// fails, what is left is metadata pointing at nothing, which a retry
// cleans, never ciphertext that nothing points at. A blob already gone
// counts as removed.
func (s *Service) deleteClip(ctx context.Context, c *Clip) error {
	err := s.blobs.Delete(ctx, blobKey(c.Household, c.ID))
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	return s.store.DeleteClip(ctx, c.ID)
}
