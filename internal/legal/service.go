package legal

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/identity"
	"hearth/internal/notice"
	"hearth/internal/randid"
	"hearth/internal/translog"
)

// Log entry types this package appends; docs/log.md describes their bodies.
const (
	EntryRecorded translog.EntryType = "legal.recorded"
	EntryDecided  translog.EntryType = "legal.decided"
	EntryNotified translog.EntryType = "legal.notified"
)

// Log is what the package needs of the transparency log: a durable append.
type Log interface {
	Append(ctx context.Context, e translog.Entry) (uint64, error)
}

// Accounts finds the account a demand concerns.
type Accounts interface {
	// LookUp returns the id of the account with this e-mail. NotFound if none.
	LookUp(ctx context.Context, email string) (identity.UserID, error)
}

// Notifier tells a person something in the app.
type Notifier interface {
	Notify(ctx context.Context, user identity.UserID, kind notice.Kind, text string) error
}

// Actor is who is acting, with the role their account holds.
type Actor struct {
	ID   identity.UserID
	Role identity.Role
}

// Service holds the rules of legal demands.
type Service struct {
	store      Store
	log        Log
	accounts   Accounts
	notify     Notifier
	clock      clock.Clock
	rand       io.Reader
	subjectKey []byte
}

// Deps are what a Service works with. Store, Log, Accounts and Notifier
// are required.
type Deps struct {
	Store    Store
	Log      Log
	Accounts Accounts
	Notifier Notifier
	// Clock is clock.Real when nil.
	Clock clock.Clock
	// Rand is the source of identifiers; crypto/rand when nil.
	Rand io.Reader
	// SubjectKey, a secret of at least 32 bytes, keys the commitment to
	// the account that each legal.recorded entry carries; with no key the
	// log carries none.
	SubjectKey []byte
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	d.Clock, d.Rand = clock.OrReal(d.Clock), randid.Source(d.Rand)
	return &Service{store: d.Store, log: d.Log, accounts: d.Accounts, notify: d.Notifier, clock: d.Clock, rand: d.Rand, subjectKey: d.SubjectKey}
}

// Timing of notices.
const (
	// claimLease is how long one node's claim on sending a notice holds
	// before another node may take it over.
	claimLease = 5 * time.Minute
)

// ListLimit bounds the demands Demands returns.
const ListLimit = 500

// CheckActor returns Forbidden unless a may handle legal demands: staff
// and administrators, whose accounts always have two-step sign-in.
func (s *Service) CheckActor(a Actor) error {
	if a.Role != identity.RoleStaff && a.Role != identity.RoleAdmin {
		return apperr.E("legal.CheckActor", apperr.Forbidden, "Only Hearth's staff and administrators handle legal demands.")
	}
	return nil
}

// Record records a demand received about the account with n.AccountEmail.
// It is in the log before it is stored. Forbidden unless staff acts;
// NotFound for an unknown e-mail; Invalid for a broken rule (see
// NewDemand.check), or a demand about the actor's own account; Unavailable
// if the log cannot be written.
func (s *Service) Record(ctx context.Context, a Actor, n NewDemand) (*Demand, error) {
	const op = "legal.Record"
	if err := s.CheckActor(a); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	n, err := n.check(now)
	if err != nil {
		return nil, err
	}
	account, err := s.accounts.LookUp(ctx, n.AccountEmail)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if account == a.ID {
		return nil, apperr.E(op, apperr.Invalid, "A demand about your own account is for another member of staff to handle.")
	}
	id, err := randid.New(s.rand, "ld")
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	d := &Demand{ID: DemandID(id), Type: n.Type, Agency: n.Agency, Jurisdiction: n.Jurisdiction, Scope: n.Scope,
		ReceivedAt: n.ReceivedOn, Account: account, OwnerConsent: n.OwnerConsent, DelayOrder: n.DelayOrder,
		DelayUntil: n.DelayUntil, RecordedBy: a.ID, RecordedAt: now, Outcome: Pending}
	body := publicBody(d)
	if len(s.subjectKey) > 0 {
		body["subject"] = s.commitment(d)
	}
	if d.RecordedIndex, err = s.publish(ctx, op, EntryRecorded, now, body); err != nil {
		return nil, err
	}
	if err := s.store.CreateDemand(ctx, d); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return d, nil
}

// Decide decides a pending demand: rejected (nothing produced), or
// complied with in part or in full (something produced, within what the
// demand's type may yield: see Type.Yields). The decision is in the log
// before it is stored; the person concerned is then told at once, unless a
// court order delays it (NotifyDue tells them when it lapses). Forbidden
// unless staff acts; NotFound for an unknown demand; Conflict if it is
// decided already; Invalid for a broken rule; Unavailable if the log
// cannot be written, or, with the decision stored, if the person could
// not be told yet (NotifyDue retries).
func (s *Service) Decide(ctx context.Context, a Actor, id DemandID, dec Decision) (*Demand, error) {
	const op = "legal.Decide"
	if err := s.CheckActor(a); err != nil {
		return nil, err
	}
	d, err := s.store.FindDemand(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if d.Decided() {
		return nil, apperr.E(op, apperr.Conflict, "This demand is decided already.")
	}
	decided, err := dec.apply(*d)
	if err != nil {
		return nil, err
	}
	d = &decided
	now := s.clock.Now()
	d.DecidedBy, d.DecidedAt = a.ID, now
	if d.DecidedIndex, err = s.publish(ctx, op, EntryDecided, now, decidedBody(d)); err != nil {
		return nil, err
	}
	if err := s.store.DecideDemand(ctx, d); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if d.Account == "" || d.NoticeDelayed(now) {
		return d, nil
	}
	if _, err := s.deliver(ctx, d); err != nil {
		return d, &apperr.Error{Op: op, Code: apperr.Unavailable, Err: err,
			Message: "The decision is recorded, but the person could not be told yet; Hearth tries again every minute."}
	}
	return d, nil
}

// Demand returns one demand. Forbidden unless staff acts; NotFound if none.
func (s *Service) Demand(ctx context.Context, a Actor, id DemandID) (*Demand, error) {
	if err := s.CheckActor(a); err != nil {
		return nil, err
	}
	d, err := s.store.FindDemand(ctx, id)
	return d, apperr.Wrap("legal.Demand", err)
}

// Demands lists the demands, most recently recorded first, at most
// ListLimit. Forbidden unless staff acts.
func (s *Service) Demands(ctx context.Context, a Actor) ([]*Demand, error) {
	if err := s.CheckActor(a); err != nil {
		return nil, err
	}
	list, err := s.store.ListDemands(ctx, ListLimit)
	return list, apperr.Wrap("legal.Demands", err)
}

// AddressReadable reports whether staff may read, now, the e-mail address
// of the account demand d concerns. Not while a court order delays telling
// the person: a read of their address is listed in their "who accessed my
// data" and would tell them what the order keeps from them for now. Nor
// once the account is deleted, when there is none.
func (s *Service) AddressReadable(d *Demand) bool {
	return d.Account != "" && !d.NoticeDelayed(s.clock.Now())
}

// NotifyDue tells the person concerned by every decided demand they have
// not been told of and whose notice delay has lapsed, and returns how many
// were told. Running it again, or on several nodes at once, tells nobody
// twice: each notice is claimed in the store first. It goes on past a
// failure and returns every failure joined.
func (s *Service) NotifyDue(ctx context.Context) (int, error) {
	const op = "legal.NotifyDue"
	due, err := s.store.ListDueNotices(ctx, s.clock.Now())
	if err != nil {
		return 0, apperr.Wrap(op, err)
	}
	var errs []error
	sent := 0
	for _, d := range due {
		ok, err := s.deliver(ctx, d)
		if err != nil {
			errs = append(errs, fmt.Errorf("demand %s: %w", d.ID, err))
		} else if ok {
			sent++
		}
	}
	if len(errs) > 0 {
		return sent, apperr.Wrap(op, errors.Join(errs...))
	}
	return sent, nil
}

// deliver tells the person concerned by d, once: it claims the notice,
// logs it, sends it, then stores it sent. It reports false when another
// call has the claim or the notice is sent already.
func (s *Service) deliver(ctx context.Context, d *Demand) (bool, error) {
	const op = "legal.deliver"
	now := s.clock.Now()
	ok, err := s.store.ClaimNotice(ctx, d.ID, now, now.Add(-claimLease))
	if err != nil || !ok {
		return false, apperr.Wrap(op, err)
	}
	body := map[string]any{"demand": string(d.ID), "type": string(d.Type), "notice_was_delayed": !d.DelayUntil.IsZero()}
	if !d.DelayUntil.IsZero() {
		body["notice_delayed_until"] = dateOf(d.DelayUntil)
	}
	idx, err := s.publish(ctx, op, EntryNotified, now, body)
	if err != nil {
		return false, err
	}
	if err := s.notify.Notify(ctx, d.Account, notice.KindLegalDemand, noticeText(d)); err != nil {
		return false, apperr.Wrap(op, err)
	}
	d.NotifiedAt, d.NotifiedIndex = now, idx
	if err := s.store.MarkNotified(ctx, d); err != nil {
		return false, apperr.Wrap(op, err)
	}
	return true, nil
}

// publish appends e to the log, durably, before whatever it records is
// stored. Unavailable when the log cannot be written.
func (s *Service) publish(ctx context.Context, op string, typ translog.EntryType, at time.Time, body map[string]any) (uint64, error) {
	return translog.AppendEntry(ctx, s.log, op, translog.Entry{Type: typ, Time: at, Body: body},
		"The transparency log cannot be written, so nothing was recorded. Try again shortly.")
}

// commitment binds d to its account without naming it: the hex
// HMAC-SHA256, under the server's key, of the demand's id and the account's
// id. The demand's id in it makes two demands about one account look
// unrelated; the server can still show whom a demand concerned.
func (s *Service) commitment(d *Demand) string {
	m := hmac.New(sha256.New, s.subjectKey)
	m.Write([]byte("legal demand subject:" + string(d.ID) + ":" + string(d.Account)))
	return hex.EncodeToString(m.Sum(nil))
}

func dateOf(t time.Time) string { return t.UTC().Format("2006-01-02") }

// publicBody is what the log says of a demand when it is recorded: never
// the account, its e-mail, the scope or the staff member.
func publicBody(d *Demand) map[string]any {
	b := map[string]any{
		"demand": string(d.ID), "type": string(d.Type), "agency": d.Agency, "jurisdiction": d.Jurisdiction,
		"received_on": dateOf(d.ReceivedAt), "emergency": d.Type == Emergency, "owner_consent": d.OwnerConsent,
	}
	if !d.DelayUntil.IsZero() {
		b["notice_delayed_until"] = dateOf(d.DelayUntil)
	}
	return b
}

// decidedBody is what the log says of a decision.
func decidedBody(d *Demand) map[string]any {
	b := publicBody(d)
	produced := make([]any, len(d.Produced))
	for i, c := range d.Produced {
		produced[i] = string(c)
	}
	b["outcome"] = string(d.Outcome)
	b["produced"] = produced
	b["emergency_disclosure"] = d.EmergencyDisclosure()
	return b
}

// noticeText is what the person concerned reads. At the longest fields it
// stays within notice.MaxTextLength.
func noticeText(d *Demand) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hearth received a legal demand about your account: %s from %s (%s), received on %s (reference %s). It asked for: %s. ",
		strings.ToLower(withArticle(d.Type)), d.Agency, d.Jurisdiction, dateOf(d.ReceivedAt), d.ID, d.Scope)
	if d.Outcome == Rejected {
		b.WriteString("Hearth rejected it and produced nothing.")
	} else {
		names := make([]string, len(d.Produced))
		for i, c := range d.Produced {
			names[i] = c.Label()
		}
		fmt.Fprintf(&b, "Hearth %s it and produced: %s.", d.Outcome.Label(), strings.Join(names, ", "))
		for _, c := range d.Produced {
			if c == Ciphertext {
				b.WriteString(" Your media was produced only as ciphertext: Hearth cannot decrypt it; only your household's keys can.")
			}
		}
	}
	if !d.DelayUntil.IsZero() {
		fmt.Fprintf(&b, " A court order (%s) kept Hearth from telling you before %s.", d.DelayOrder, dateOf(d.DelayUntil))
	}
	fmt.Fprintf(&b, " Each step is in the public transparency log under the reference %s.", d.ID)
	return b.String()
}
