package feed

import (
	"context"
	"io"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/randid"
	"hearth/internal/translog"
	"hearth/internal/vault"
)

// EntryClipShared is the log entry appended before a post that shares a
// clip becomes visible: media leaving its household.
const EntryClipShared translog.EntryType = "feed.clip_shared"

// Households is what the feed needs of the household domain; the household
// Service implements it.
type Households interface {
	// Get returns the household to one of its members; NotFound otherwise.
	Get(ctx context.Context, user identity.UserID, id household.ID) (*household.Household, error)
	// ListForUser returns the households user is a member of.
	ListForUser(ctx context.Context, user identity.UserID) ([]*household.Household, error)
	// MemberRole returns user's role; NotFound unless user is a member.
	MemberRole(ctx context.Context, id household.ID, user identity.UserID) (household.MemberRole, error)
	// PublicHome returns the household's home as anyone outside may see
	// it. NotFound if there is no such household.
	PublicHome(ctx context.Context, id household.ID) (household.Location, error)
}

// Vault is what the feed needs of the vault; the vault Service implements it.
type Vault interface {
	// Open returns a member's clip with its ciphertext; the feed reads
	// only the metadata, to learn the clip's household. NotFound for
	// anyone who is not a member of the clip's household.
	Open(ctx context.Context, user identity.UserID, id vault.ClipID) (*vault.Clip, io.ReadCloser, error)
	// ListWraps returns the recipients a member's clip is shared with.
	ListWraps(ctx context.Context, user identity.UserID, id vault.ClipID) ([]*vault.Wrap, error)
	// RemoveWrap un-shares the clip with recipient. NotFound when there is
	// no such wrap, or user is not a member of the clip's household.
	RemoveWrap(ctx context.Context, user identity.UserID, id vault.ClipID, recipient string) error
	// OpenFor returns the clip as an age file for recipient. NotFound if
	// the clip is gone or not shared with recipient.
	OpenFor(ctx context.Context, id vault.ClipID, recipient string) (io.ReadCloser, error)
}

// Requests finds agencies' Requests for Assistance near a point; the
// neighbors Service implements it.
type Requests interface {
	// RequestsNear returns the requests whose area comes within
	// radiusMeters of at, posted strictly before before (any time when
	// zero), newest first, at most limit.
	RequestsNear(ctx context.Context, at geo.Point, radiusMeters float64, before time.Time, limit int) ([]*neighbors.Request, error)
}

// Log is what the feed needs of the transparency log: a durable append.
type Log interface {
	Append(ctx context.Context, e translog.Entry) (uint64, error)
}

// Keys reads age identities. The domain does not speak age itself; the
// binary supplies an implementation over filippo.io/age.
type Keys interface {
	// RecipientOf returns the public key (age1…) of an X25519 identity
	// (AGE-SECRET-KEY-1…), or an error unless identity is one, written
	// the way age writes it.
	RecipientOf(identity string) (string, error)
}

// Deps are the parts of Hearth the feed works with. All but Clock and
// Rand are required.
type Deps struct {
	Store      Store
	Households Households
	Vault      Vault
	Requests   Requests
	Log        Log
	Keys       Keys
	// Clock is clock.Real when nil.
	Clock clock.Clock
	// Rand is the source of post ids; crypto/rand.Reader when nil.
	Rand io.Reader
}

// Service holds the rules of the feed.
type Service struct {
	store Store
	d     Deps
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	d.Clock, d.Rand = clock.OrReal(d.Clock), randid.Source(d.Rand)
	return &Service{store: d.Store, d: d}
}

// MaxClipAge is how long after it started a clip may still be shared in a
// post: an alert is about what just happened, and older footage stays in
// its household.
const MaxClipAge = 7 * 24 * time.Hour

// Post publishes a post for household hh, placed at the household's public
// location. When n shares a clip, the clip must be one of hh's, have
// started at most MaxClipAge ago, and be already wrapped for the public key
// of n.PostKey; the sharing is appended to the transparency log before the
// post is stored. NotFound unless user is a member of hh (or for a clip that
// is not hh's); Invalid for a broken rule (an older clip among them);
// Unavailable when the log cannot be written.
func (s *Service) Post(ctx context.Context, user identity.UserID, hh household.ID, n NewPost) (*Post, error) {
	const op = "feed.Post"
	if _, err := s.d.Households.MemberRole(ctx, hh, user); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	n, err := n.check()
	if err != nil {
		return nil, err
	}
	home, err := s.d.Households.PublicHome(ctx, hh)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	id, err := randid.New(s.d.Rand, "p")
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	p := &Post{ID: PostID(id), Household: hh, Author: user, Category: n.Category, Text: n.Text,
		Location: geo.Point{Lat: home.Lat, Lng: home.Lng}, PostedAt: s.now()}
	if n.Clip != "" {
		if p.ClipRecipient, err = s.checkSharedClip(ctx, op, user, hh, n); err != nil {
			return nil, err
		}
		p.Clip, p.PostKey = n.Clip, n.PostKey
		p.ClipLogIndex, err = translog.AppendEntry(ctx, s.d.Log, op, translog.Entry{Type: EntryClipShared, Time: p.PostedAt,
			Body: map[string]any{"post": string(p.ID), "clip": string(p.Clip)}},
			"The transparency log cannot be written, so the clip was not shared. Try again shortly.")
		if err != nil {
			return nil, err
		}
	}
	if err := s.store.CreatePost(ctx, p); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return p, nil
}

// checkSharedClip returns the public key of n.PostKey after checking that
// n.Clip is one of hh's clips and is wrapped for that key.
func (s *Service) checkSharedClip(ctx context.Context, op string, user identity.UserID, hh household.ID, n NewPost) (string, error) {
	recipient, err := s.d.Keys.RecipientOf(n.PostKey)
	if err != nil {
		return "", &apperr.Error{Op: op, Code: apperr.Invalid,
			Message: "The post's key must be an age identity (AGE-SECRET-KEY-1…), as your browser makes it.", Err: err}
	}
	c, body, err := s.d.Vault.Open(ctx, user, n.Clip)
	if err != nil {
		return "", apperr.Wrap(op, err)
	}
	body.Close() // only the metadata is needed
	if c.Household != hh {
		return "", apperr.E(op, apperr.NotFound, "That clip is not one of this household's.")
	}
	if c.Start.Before(s.d.Clock.Now().Add(-MaxClipAge)) {
		return "", apperr.E(op, apperr.Invalid, "Only a clip from the last 7 days can be shared in a post.")
	}
	wraps, err := s.d.Vault.ListWraps(ctx, user, n.Clip)
	if err != nil {
		return "", apperr.Wrap(op, err)
	}
	for _, w := range wraps {
		if w.Recipient == recipient {
			return recipient, nil
		}
	}
	return "", apperr.E(op, apperr.Invalid, "The clip is not yet shared with the post's key; your browser shares it before posting. Try again.")
}

// Delete deletes a post and un-shares its clip. Only its author may delete
// it: NotFound for a post that does not exist, Forbidden for anyone else.
// If the clip's wrap is gone already (the clip expired, or the author left
// the household and may no longer touch its clips), the post goes anyway:
// its key goes with it, so a wrap left behind opens for nobody.
func (s *Service) Delete(ctx context.Context, user identity.UserID, id PostID) error {
	const op = "feed.Delete"
	p, err := s.store.FindPost(ctx, id)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	if p.Author != user {
		return apperr.E(op, apperr.Forbidden, "Only the post's author can delete it.")
	}
	if p.HasClip() {
		if err := s.d.Vault.RemoveWrap(ctx, user, p.Clip, p.ClipRecipient); err != nil && !apperr.Is(err, apperr.NotFound) {
			return apperr.Wrap(op, err)
		}
	}
	return apperr.Wrap(op, s.store.DeletePost(ctx, id))
}

// Clip returns the clip a post shares, as an age file its PostKey opens,
// to a member of a household whose home is within MaxRadiusMeters of the
// post: the readers the post reaches. NotFound for anyone else, for a post
// without a clip and for a clip that has expired, in the same words.
func (s *Service) Clip(ctx context.Context, user identity.UserID, id PostID) (*Post, io.ReadCloser, error) {
	const op = "feed.Clip"
	notFound := func(err error) error {
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: "No such clip: the post has none, or it is no longer shared.", Err: err}
	}
	p, err := s.store.FindPost(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil, notFound(err)
	} else if err != nil {
		return nil, nil, apperr.Wrap(op, err)
	}
	if !p.HasClip() {
		return nil, nil, notFound(nil)
	}
	homes, err := s.d.Households.ListForUser(ctx, user)
	if err != nil {
		return nil, nil, apperr.Wrap(op, err)
	}
	near := false
	for _, h := range homes {
		if geo.DistanceMeters(geo.Point{Lat: h.Home.Lat, Lng: h.Home.Lng}, p.Location) <= MaxRadiusMeters {
			near = true
			break
		}
	}
	if !near {
		return nil, nil, notFound(nil)
	}
	body, err := s.d.Vault.OpenFor(ctx, p.Clip, p.ClipRecipient)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil, notFound(err)
	} else if err != nil {
		return nil, nil, apperr.Wrap(op, err)
	}
	return p, body, nil
}

// now is the service's time at the stores' precision (microseconds), so a
// post's time reads back exactly as it was made and orders the same.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }
