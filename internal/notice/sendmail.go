package notice

import (
	"context"

	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/randid"
)

// SendMail queues an e-mail to an address, with no notice in the app: for
// mail about an account that may not exist yet, like a sign-up
// confirmation. user is the address's account, "" when it has none. It goes
// out like every other e-mail, through the outbox, where an administrator's
// read of it is recorded for user.
// Unavailable before SetMail; Internal if it cannot be queued.
func (s *Service) SendMail(ctx context.Context, user identity.UserID, to, subject, body string) error {
	const op = "notice.SendMail"
	if s.mail == nil {
		return apperr.E(op, apperr.Unavailable, "E-mail is not set up on this server.")
	}
	id, err := randid.New(s.rand, "m")
	if err != nil {
		return apperr.Wrap(op, err)
	}
	m := &Mail{ID: id, UserID: user, To: to, Subject: subject, Body: body, CreatedAt: s.clock.Now()}
	return apperr.Wrap(op, s.mail.EnqueueMail(ctx, m))
}
