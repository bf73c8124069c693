package notice

import (
	"context"
	"fmt"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/randid"
)

// Mail is one e-mail a notice produced. Every e-mail goes into the outbox
// first; when an SMTP server is configured, a background job sends it
// from there, otherwise administrators read the outbox page and it stays.
type Mail struct {
	ID string
	// UserID is the person the mail is for; "" for mail queued before
	// this was kept, which the outbox does not show.
	UserID    identity.UserID
	To        string
	Subject   string
	Body      string
	CreatedAt time.Time
	SentAt    time.Time // zero until sent
	Attempts  int
	LastError string
}

// MailStore keeps the outbox. Methods return Internal on failure.
type MailStore interface {
	// EnqueueMail inserts m.
	EnqueueMail(ctx context.Context, m *Mail) error
	// ListMail returns the latest mail, newest first, at most limit.
	ListMail(ctx context.Context, limit int) ([]*Mail, error)
	// ListUnsentMail returns unsent mail tried fewer than maxAttempts
	// times, oldest first, at most limit.
	ListUnsentMail(ctx context.Context, maxAttempts, limit int) ([]*Mail, error)
	// MarkMailSent records a successful send.
	MarkMailSent(ctx context.Context, id string, at time.Time) error
	// MarkMailFailed counts a failed attempt and keeps its error.
	MarkMailFailed(ctx context.Context, id string, msg string) error
}

// Emails looks up accounts' e-mail addresses; the mail reads only the
// person's own, to write to them.
type Emails interface {
	Emails(ctx context.Context, reader identity.Actor, purpose identity.Purpose, ids []identity.UserID) (map[identity.UserID]string, error)
}

// Gate records, durably and before it is shown, that an administrator
// reads mail Hearth wrote to someone else; access.Gate implements it.
type Gate interface {
	// RecordMailRead records that reader reads subject's mail. An error
	// means the mail must not be shown.
	RecordMailRead(ctx context.Context, reader identity.Actor, subject identity.UserID) error
}

// Sender sends one e-mail (an SMTP client).
type Sender interface {
	Send(ctx context.Context, to, subject, body string) error
}

// MaxMailAttempts is how many times an e-mail is tried before it stays in
// the outbox, marked failed, for an administrator to see.
const MaxMailAttempts = 5

var subjects = map[Kind]string{
	KindAccessGrant:   "Hearth: someone was allowed to see your data",
	KindAgencyRequest: "Hearth: an agency asks for footage near your home",
	KindLegalDemand:   "Hearth: a legal demand concerned your data",
}

// enqueue puts the notice's e-mail in the outbox. Failing to is logged,
// not returned: the notice itself is stored, and the person sees it in
// the app.
func (s *Service) enqueue(ctx context.Context, n *Notice) {
	if s.mail == nil {
		return
	}
	// The address is read for the person, to write to them: their own read.
	emails, err := s.emails.Emails(ctx, identity.Actor{ID: n.UserID}, "", []identity.UserID{n.UserID})
	to := emails[n.UserID]
	if err != nil || to == "" {
		s.logger.Warn("no e-mail address for a notice", "notice", string(n.ID), "err", err)
		return
	}
	subject := subjects[n.Kind]
	if subject == "" {
		subject = "Hearth: a notice for you"
	}
	id, err := randid.New(s.rand, "m")
	if err != nil {
		s.logger.Warn("could not queue a notice's e-mail", "notice", string(n.ID), "err", err)
		return
	}
	body := fmt.Sprintf("%s\n\nSign in to Hearth to read it: %s/\n\nYou receive this because you have an account on Hearth; the same notice is in the app.\n",
		n.Text, s.siteURL)
	m := &Mail{ID: id, UserID: n.UserID, To: to, Subject: subject, Body: body, CreatedAt: n.CreatedAt}
	if err := s.mail.EnqueueMail(ctx, m); err != nil {
		s.logger.Warn("could not queue a notice's e-mail", "notice", string(n.ID), "err", err)
	}
}

// Outbox returns the latest e-mail, newest first, to an administrator:
// where e-mail waits when no SMTP server is configured. Each mail shows a
// person's address and what Hearth told them, so reading it is a read of
// their data: for every person other than the administrator whose mail is
// in the list, one read is recorded through the access gate before the
// list is returned (one entry per person per look at the outbox, however
// many of their e-mails it holds). Mail to an address with no account (a
// sign-up link) is about nobody yet and is shown with no read to record.
// Forbidden to anyone but an administrator; Unavailable when a read cannot
// be recorded, and then nothing is returned.
func (s *Service) Outbox(ctx context.Context, admin identity.Actor) ([]*Mail, error) {
	const op = "notice.Outbox"
	if admin.Role != identity.RoleAdmin {
		return nil, apperr.E(op, apperr.Forbidden, "Only administrators read the outbox.")
	}
	if s.mail == nil {
		return []*Mail{}, nil
	}
	list, err := s.mail.ListMail(ctx, 200)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	out := make([]*Mail, 0, len(list))
	recorded := map[identity.UserID]bool{admin.ID: true}
	for _, m := range list {
		// Mail with no account (a sign-up link to a new address) is about
		// nobody yet: there is no one to tell of the read.
		if m.UserID != "" && !recorded[m.UserID] {
			if s.gate == nil {
				return nil, apperr.E(op, apperr.Unavailable, "Reads of the outbox cannot be recorded, so it cannot be shown.")
			}
			if err := s.gate.RecordMailRead(ctx, admin, m.UserID); err != nil {
				return nil, apperr.Wrap(op, err)
			}
			recorded[m.UserID] = true
		}
		out = append(out, m)
	}
	return out, nil
}

// SendPending sends unsent e-mail through sender, oldest first, at most
// limit, and returns how many went. A failed send is counted against the
// e-mail and tried again next time, up to MaxMailAttempts.
func (s *Service) SendPending(ctx context.Context, sender Sender, limit int) (int, error) {
	const op = "notice.SendPending"
	if s.mail == nil {
		return 0, nil
	}
	list, err := s.mail.ListUnsentMail(ctx, MaxMailAttempts, limit)
	if err != nil {
		return 0, apperr.Wrap(op, err)
	}
	sent := 0
	for _, m := range list {
		if err := sender.Send(ctx, m.To, m.Subject, m.Body); err != nil {
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			if ferr := s.mail.MarkMailFailed(ctx, m.ID, err.Error()); ferr != nil {
				return sent, apperr.Wrap(op, ferr)
			}
			continue
		}
		if err := s.mail.MarkMailSent(ctx, m.ID, s.clock.Now()); err != nil {
			return sent, apperr.Wrap(op, err)
		}
		sent++
	}
	return sent, nil
}
