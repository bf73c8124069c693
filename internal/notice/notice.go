package notice

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/identity"
	"hearth/internal/randid"
)

// ID identifies a notice.
type ID string

// Kind says what a notice is about.
type Kind string

// Kinds of notice.
const (
	KindAccessGrant   Kind = "access_grant"   // staff were granted access to your data
	KindAgencyRequest Kind = "agency_request" // an agency asks for footage near your home
	KindLegalDemand   Kind = "legal_demand"   // a legal demand concerned your data
)

// Notice is one message to one person.
type Notice struct {
	ID        ID
	UserID    identity.UserID
	Kind      Kind
	Text      string
	CreatedAt time.Time
	ReadAt    time.Time // zero while unread
}

// Store persists notices. Methods return apperr codes: NotFound where
// stated, Internal otherwise.
type Store interface {
	// CreateNotice inserts n. NotFound if the user does not exist.
	CreateNotice(ctx context.Context, n *Notice) error
	// ListNotices returns the user's notices, newest first, at most limit.
	ListNotices(ctx context.Context, user identity.UserID, limit int) ([]*Notice, error)
	// MarkNoticesRead marks all the user's unread notices read at t.
	MarkNoticesRead(ctx context.Context, user identity.UserID, t time.Time) error
}

// Service creates and lists notices.
type Service struct {
	store Store
	clock clock.Clock
	rand  io.Reader

	// E-mail; without a mail store notices stay in the app.
	mail    MailStore
	emails  Emails
	gate    Gate
	siteURL string
	logger  *slog.Logger
}

// Deps are what a Service works with. Store is required; so is Emails
// when Mail is set.
type Deps struct {
	Store Store
	// Clock is clock.Real when nil.
	Clock clock.Clock
	// Rand is the source of ids; crypto/rand when nil.
	Rand io.Reader
	// Mail, when set, makes every notice also an e-mail, kept in this
	// outbox and pointing to SiteURL; Emails, then required, finds the
	// person's address. Without it notices stay in the app and SendMail
	// is Unavailable.
	Mail    MailStore
	Emails  Emails
	SiteURL string
	// Gate records administrators' reads of the outbox; without one an
	// outbox holding anyone else's mail is Unavailable.
	Gate Gate
	// Logger receives e-mail that could not be queued; discarded when nil.
	Logger *slog.Logger
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	d.Clock, d.Rand = clock.OrReal(d.Clock), randid.Source(d.Rand)
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: d.Store, clock: d.Clock, rand: d.Rand, mail: d.Mail, emails: d.Emails, gate: d.Gate,
		siteURL: strings.TrimSuffix(d.SiteURL, "/"), logger: d.Logger}
}

// MaxTextLength bounds a notice's text, in characters.
const MaxTextLength = 2000

// Notify tells user something. Invalid for empty or overlong text.
func (s *Service) Notify(ctx context.Context, user identity.UserID, kind Kind, text string) error {
	const op = "notice.Notify"
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxTextLength {
		return apperr.E(op, apperr.Invalid, "A notice needs a text of 1 to 2000 characters.")
	}
	id, err := randid.New(s.rand, "n")
	if err != nil {
		return apperr.Wrap(op, err)
	}
	n := &Notice{ID: ID(id), UserID: user, Kind: kind, Text: text, CreatedAt: s.clock.Now()}
	if err := s.store.CreateNotice(ctx, n); err != nil {
		return apperr.Wrap(op, err)
	}
	s.enqueue(ctx, n)
	return nil
}

// List returns the user's latest notices, newest first.
func (s *Service) List(ctx context.Context, user identity.UserID) ([]*Notice, error) {
	list, err := s.store.ListNotices(ctx, user, 50)
	return list, apperr.Wrap("notice.List", err)
}

// MarkRead marks all the user's notices read.
func (s *Service) MarkRead(ctx context.Context, user identity.UserID) error {
	return apperr.Wrap("notice.MarkRead", s.store.MarkNoticesRead(ctx, user, s.clock.Now()))
}
