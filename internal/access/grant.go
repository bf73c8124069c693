package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/identity"
	"hearth/internal/notice"
	"hearth/internal/randid"
	"hearth/internal/text"
	"hearth/internal/translog"
)

// GrantID identifies an access grant.
type GrantID string

// Valid reports whether id has the shape of the identifier of an access grant ("g_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id GrantID) Valid() bool { return randid.Valid("g", string(id)) }

// GrantStatus is where a grant is in its life. An approved grant past its
// expiry is expired; that is computed, never stored.
type GrantStatus string

// Grant states.
const (
	GrantPending  GrantStatus = "pending"
	GrantApproved GrantStatus = "approved"
	GrantDenied   GrantStatus = "denied"
	// GrantExpired is never stored: State reports it for an approved grant
	// past its expiry.
	GrantExpired GrantStatus = "expired"
)

// Grant limits.
const (
	MaxGrantDuration = 72 * time.Hour
	MinGrantDuration = 15 * time.Minute
	MinReasonLength  = 10
	MaxReasonLength  = 1000
)

// Grant lets one staff member read one account's metadata, for a written
// reason, for a limited time after an admin approves it.
type Grant struct {
	ID          GrantID
	Staff       identity.UserID
	Subject     identity.UserID
	Object      ObjectKind
	Reason      string
	Duration    time.Duration
	Status      GrantStatus
	RequestedAt time.Time
	DecidedBy   identity.UserID
	DecidedAt   time.Time
	ExpiresAt   time.Time // set on approval: DecidedAt + Duration
}

// State is the grant's status at now, with expiry applied.
func (g *Grant) State(now time.Time) GrantStatus {
	if g.Status == GrantApproved && !g.Active(now) {
		return GrantExpired
	}
	return g.Status
}

// Active reports whether reads may happen under the grant at now.
func (g *Grant) Active(now time.Time) bool {
	return g.Status == GrantApproved && now.Before(g.ExpiresAt)
}

// Accounts finds accounts and reads their metadata; only the gate calls
// Summary for others' data.
type Accounts interface {
	// LookUp returns the id of the account with this e-mail. NotFound if none.
	LookUp(ctx context.Context, email string) (identity.UserID, error)
	Summary(ctx context.Context, id identity.UserID) (identity.Summary, error)
}

// Notifier tells a person something in the app.
type Notifier interface {
	Notify(ctx context.Context, user identity.UserID, kind notice.Kind, text string) error
}

// Service holds the rules of access grants and of the owner's access history.
type Service struct {
	gate     *Gate
	log      Log
	store    Store
	accounts Accounts
	notify   Notifier
	names    *Pseudonyms
	clock    clock.Clock
	rand     io.Reader
}

// Deps are what a Service works with; all are required. The service
// shares the gate's log, store, pseudonyms, clock and randomness.
type Deps struct {
	Gate     *Gate
	Accounts Accounts
	Notifier Notifier
}

// NewService returns a Service reading through d.Gate.
func NewService(d Deps) *Service {
	g := d.Gate
	return &Service{
		gate: g, log: g.log, store: g.store, accounts: d.Accounts, notify: d.Notifier,
		names: g.names, clock: g.clock, rand: g.rand,
	}
}

// StateOf is the grant's status now.
func (s *Service) StateOf(g *Grant) GrantStatus { return g.State(s.clock.Now()) }

// Pseudonym returns the public pseudonymous id of an actor.
func (s *Service) Pseudonym(a Actor) string { return s.names.Actor(a) }

// RequestGrant asks to read the account metadata of the account with the
// e-mail subjectEmail, for reason, for d (15 minutes to 72 hours, counted
// from approval). The request is logged before it is stored. Forbidden
// unless the actor is staff; NotFound for an unknown e-mail; Invalid for a
// missing reason, a bad duration, or a request about oneself; Unavailable if
// the log cannot be written.
func (s *Service) RequestGrant(ctx context.Context, staff Actor, subjectEmail, reason string, d time.Duration) (*Grant, error) {
	const op = "access.RequestGrant"
	if staff.Role != identity.RoleStaff {
		return nil, apperr.E(op, apperr.Forbidden, "Only support staff request access grants.")
	}
	subject, err := s.accounts.LookUp(ctx, subjectEmail)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	reason, err = (text.Field{Name: "the reason for this access", Max: MaxReasonLength, Multiline: true}).Check(reason)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	switch n := utf8.RuneCountInString(reason); {
	case n < MinReasonLength || n > MaxReasonLength:
		return nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("Write the reason for this access in %d to %d characters.", MinReasonLength, MaxReasonLength))
	case d < MinGrantDuration || d > MaxGrantDuration:
		return nil, apperr.E(op, apperr.Invalid, "A grant lasts from 15 minutes to 72 hours.")
	case subject == "" || subject == staff.ID:
		return nil, apperr.E(op, apperr.Invalid, "A grant is for someone else's account.")
	}
	id, err := newID(s.rand, "g")
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	g := &Grant{
		ID: GrantID(id), Staff: staff.ID, Subject: subject, Object: ObjectAccountMetadata,
		Reason: reason, Duration: d, Status: GrantPending, RequestedAt: s.clock.Now(),
	}
	reasonHash := sha256.Sum256([]byte(reason))
	if err := s.append(ctx, op, EntryGrantRequested, g.RequestedAt, map[string]any{
		"grant": string(g.ID), "actor": s.names.Actor(staff), "actor_role": string(staff.Role),
		"subject": s.names.Commitment(UserSubject(subject)), "object": string(g.Object),
		"reason_hash": hex.EncodeToString(reasonHash[:]), "duration_minutes": int64(d / time.Minute),
	}); err != nil {
		return nil, err
	}
	if err := s.store.CreateGrant(ctx, g); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return g, nil
}

// DecideGrant approves or denies a pending grant. An approval starts the
// grant's clock, is logged, and tells the subject in the app. Forbidden
// unless the actor is an admin other than the requester; NotFound for an
// unknown grant; Conflict if it was already decided.
func (s *Service) DecideGrant(ctx context.Context, admin Actor, id GrantID, approve bool) (*Grant, error) {
	const op = "access.DecideGrant"
	if admin.Role != identity.RoleAdmin {
		return nil, apperr.E(op, apperr.Forbidden, "Only admins decide access grants.")
	}
	g, err := s.store.FindGrant(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if g.Staff == admin.ID {
		return nil, apperr.E(op, apperr.Forbidden, "Nobody approves their own access request.")
	}
	if g.Status != GrantPending {
		return nil, apperr.E(op, apperr.Conflict, "This request was already decided.")
	}
	now := s.clock.Now()
	g.DecidedBy, g.DecidedAt = admin.ID, now
	body := map[string]any{
		"grant": string(g.ID), "actor": s.names.Actor(admin), "actor_role": string(admin.Role),
		"subject": s.names.Commitment(UserSubject(g.Subject)),
	}
	entry := EntryGrantDenied
	g.Status = GrantDenied
	if approve {
		entry = EntryGrantApproved
		g.Status = GrantApproved
		g.ExpiresAt = now.Add(g.Duration)
		body["expires_at"] = g.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if err := s.append(ctx, op, entry, now, body); err != nil {
		return nil, err
	}
	if err := s.store.DecideGrant(ctx, g); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if approve {
		text := fmt.Sprintf("Support staff member %s was granted access to your account metadata until %s. Reason given: %q. Every read under this grant is listed on your \"Who accessed my data\" page and in the public transparency log.",
			s.names.Actor(Actor{ID: g.Staff, Role: identity.RoleStaff}), g.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), g.Reason)
		if err := s.notify.Notify(ctx, g.Subject, notice.KindAccessGrant, text); err != nil {
			return nil, apperr.Wrap(op, err)
		}
	}
	return g, nil
}

// ListGrants returns the grants an actor may see: a staff member's own, or
// all of them for an admin. Forbidden for other roles.
func (s *Service) ListGrants(ctx context.Context, a Actor) ([]*Grant, error) {
	const op = "access.ListGrants"
	var staff string
	switch a.Role {
	case identity.RoleAdmin:
	case identity.RoleStaff:
		staff = string(a.ID)
	default:
		return nil, apperr.E(op, apperr.Forbidden, "Only staff and admins see access grants.")
	}
	list, err := s.store.ListGrants(ctx, staff, 200)
	return list, apperr.Wrap(op, err)
}

// ReadAccountMetadata returns the grant's subject's account metadata to the
// staff member who holds the grant, through the gate. NotFound unless the
// grant is the actor's own; Forbidden unless it is approved and unexpired;
// Unavailable if the log cannot be written (then nothing is read).
func (s *Service) ReadAccountMetadata(ctx context.Context, staff Actor, id GrantID) (identity.Summary, error) {
	const op = "access.ReadAccountMetadata"
	g, err := s.store.FindGrant(ctx, id)
	if err != nil {
		return identity.Summary{}, apperr.Wrap(op, err)
	}
	if g.Staff != staff.ID || staff.Role != identity.RoleStaff {
		return identity.Summary{}, apperr.E(op, apperr.NotFound, "No such access grant.")
	}
	if !g.Active(s.clock.Now()) {
		msg := "This grant has not been approved."
		switch {
		case g.Status == GrantDenied:
			msg = "This grant was denied."
		case g.Status == GrantApproved:
			msg = "This grant has expired."
		}
		return identity.Summary{}, apperr.E(op, apperr.Forbidden, msg)
	}
	return Read(ctx, s.gate, Request{
		Actor: staff, Subject: UserSubject(g.Subject), Object: g.Object,
		Purpose: PurposeSupport, LegalBasis: BasisAccessGrant, Grant: g.ID,
	}, func(ctx context.Context) (identity.Summary, error) {
		return s.accounts.Summary(ctx, g.Subject)
	})
}

func (s *Service) append(ctx context.Context, op string, t translog.EntryType, at time.Time, body map[string]any) error {
	_, err := translog.AppendEntry(ctx, s.log, op, translog.Entry{Type: t, Time: at, Body: body},
		"The transparency log cannot be written; nothing was changed.")
	return err
}
