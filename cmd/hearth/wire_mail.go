package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"hearth/internal/access"
	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/jobs"
	"hearth/internal/mail"
	"hearth/internal/notice"
	"hearth/internal/sqlstore"
)

// sendMailEvery is how often queued e-mail goes to the SMTP server.
const sendMailEvery = 15 * time.Second

// wireMail builds the identity and notice services: every notice is an
// e-mail too, queued in the outbox, whose reads by administrators go
// through gate, and sign-up confirmations are sent the same way. Reads of
// others' addresses are recorded through gate.
//
// The two need each other: notices find people's addresses through
// identity, and identity queues sign-up mail through notices. Identity is
// built first, with a relay as its mailer that is pointed at the notices
// once they exist; nobody signs up before serving starts.
func (m *Main) wireMail(gate *access.Gate) error {
	mailer := &mailRelay{}
	if m.Config.SMTPURL == "" {
		mailer.unsent = m.Logger.With("component", "mail")
	}
	ids, err := identity.NewService(identity.Deps{Store: sqlstore.NewIdentityStore(m.DB), Clock: m.Clock, Config: m.IdentityConfig,
		ReadLog: gate, Mailer: mailer, SiteURL: m.Config.PublicURL})
	if err != nil {
		return err
	}
	m.Identity = ids
	store := sqlstore.NewNoticeStore(m.DB)
	m.Notices = notice.NewService(notice.Deps{Store: store, Clock: m.Clock, Mail: store, Emails: m.Identity, Gate: gate,
		SiteURL: m.Config.PublicURL, Logger: m.Logger.With("component", "mail")})
	mailer.notices = m.Notices
	return nil
}

// mailRelay is identity's mailer, forwarding to the notice service built
// after it (see wireMail).
type mailRelay struct {
	notices *notice.Service
	// unsent, when no SMTP server is set, is where sign-up mail is also
	// written: on a new server nobody is an administrator yet to read the
	// outbox, and the person signing up is often the operator, who reads
	// the server's log.
	unsent *slog.Logger
}

// SendMail queues the e-mail in the outbox. Unavailable until the notices
// are built.
func (r *mailRelay) SendMail(ctx context.Context, user identity.UserID, to, subject, body string) error {
	if r.notices == nil {
		return apperr.E("main.mailRelay", apperr.Unavailable, "E-mail is not set up on this server.")
	}
	if err := r.notices.SendMail(ctx, user, to, subject, body); err != nil {
		return err
	}
	if r.unsent != nil {
		r.unsent.Info("no SMTP server is set: this sign-up e-mail waits in the outbox", "to", to, "subject", subject, "body", body)
	}
	return nil
}

// mailJobs drain the outbox through the configured SMTP server; without
// one there are none, and e-mail stays in the outbox for administrators.
func (m *Main) mailJobs() ([]jobs.Job, error) {
	if m.Config.SMTPURL == "" {
		return nil, nil
	}
	sender, err := mail.ParseURL(m.Config.SMTPURL)
	if err != nil { // checked when the configuration was read
		return nil, fmt.Errorf("smtp-url: %w", err)
	}
	return []jobs.Job{{Name: "mail.send", Every: sendMailEvery, Run: func(ctx context.Context) error {
		n, err := m.Notices.SendPending(ctx, sender, 100)
		if n > 0 {
			m.Logger.Debug("sent queued e-mail", "count", n)
		}
		return err
	}}}, nil
}
