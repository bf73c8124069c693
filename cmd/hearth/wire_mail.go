package main

import (
	"context"
	"fmt"
	"time"

	"hearth/internal/access"
	"hearth/internal/jobs"
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
