package main

import (
	"context"
	"time"

	"hearth/internal/access"
	"hearth/internal/mail"
	"hearth/internal/sqlstore"
)

// sendMailEvery is how often queued e-mail goes to the SMTP server.
const sendMailEvery = 15 * time.Second

// setUpMail makes every notice an e-mail too, queued in the outbox, whose
// reads by administrators go through gate, and sends sign-up confirmations
// the same way.
func (m *Main) setUpMail(gate *access.Gate) {
	m.Notices.SetMail(sqlstore.NewNoticeStore(m.DB), m.Identity, gate, m.Config.PublicURL, m.Logger.With("component", "mail"))
	m.Identity.SetMailer(m.Notices, m.Config.PublicURL)
}

// sendMail drains the outbox through the configured SMTP server until ctx
// is done; without one, e-mail stays in the outbox for administrators.
func (m *Main) sendMail(ctx context.Context) {
	if m.Config.SMTPURL == "" {
		return
	}
	sender, err := mail.ParseURL(m.Config.SMTPURL)
	if err != nil { // checked when the configuration was read
		m.Logger.Error("smtp-url", "err", err)
		return
	}
	t := time.NewTicker(sendMailEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := m.Notices.SendPending(ctx, sender, 100); err != nil && ctx.Err() == nil {
				m.Logger.Error("send queued e-mail", "err", err)
			} else if n > 0 {
				m.Logger.Debug("sent queued e-mail", "count", n)
			}
		}
	}
}
