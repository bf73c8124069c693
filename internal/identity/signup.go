package identity

import (
	"context"
	"fmt"
	"time"

	"hearth/internal/apperr"
)

// SignupLifetime is how long a sign-up confirmation link works.
const SignupLifetime = 24 * time.Hour

// Signup is a sign-up waiting for its e-mail address to be confirmed: no
// account exists until the link sent to the address is followed. Only the
// link token's SHA-256 is stored, and the password only as its hash.
type Signup struct {
	TokenHash    []byte
	Email        string // normalized
	PasswordHash string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// Mailer sends e-mail to an address that may have no account (yet).
type Mailer interface {
	// SendMail queues one e-mail to the address, for the account user when
	// the address has one ("" when it has none yet), so that whoever reads
	// the mail of an account is recorded like any other read. Unavailable
	// when e-mail is not set up; Internal on failure.
	SendMail(ctx context.Context, user UserID, to, subject, body string) error
}

// Sign-up e-mail. The second goes to an address that already has an
// account, so the page says the same whichever was sent and only the
// address's owner learns which.
const (
	subjectConfirm = "Hearth: confirm your e-mail address"
	bodyConfirm    = `Someone, probably you, asked to create a Hearth account for this address.

To confirm it and continue, open this link within 24 hours:

%s

If it was not you, ignore this e-mail: no account is made without the link.
`
	subjectTaken = "Hearth: someone tried to sign up with your address"
	bodyTaken    = `Someone tried to create a new Hearth account with this address, but you already have one.

If it was you, sign in instead: %s/login
Forgot your password? Ask the people who run this Hearth service to reset it.

If it was not you, you need do nothing: your account is unchanged.
`
)

// SignUp starts a resident account for email: it sends the address a link
// (ConfirmSignUp) that creates the account, or, if the address already has
// one, an e-mail saying so. Either way it does the same work and returns
// the same nil, so the answer does not tell whether an address has an
// account. Invalid for a bad e-mail or password; Unavailable without a
// Mailer.
func (s *Service) SignUp(ctx context.Context, email, password string, c ClientInfo) error {
	const op = "identity.SignUp"
	e, err := NormalizeEmail(email)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	if err := s.common.CheckPassword(password, e); err != nil {
		return apperr.Wrap(op, err)
	}
	if s.mailer == nil {
		return apperr.E(op, apperr.Unavailable, "Sign-up is not available: this server cannot send e-mail.")
	}
	// Hashed whether or not it is used: the expensive step takes the same
	// time for a known address as for a new one.
	hash, err := s.hash(ctx, op, password)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	token, err := s.newToken("hsu_")
	if err != nil {
		return apperr.Wrap(op, err)
	}
	existing, err := s.store.FindUserByEmail(ctx, e)
	switch {
	case err == nil:
		return apperr.Wrap(op, s.mailer.SendMail(ctx, existing.ID, e, subjectTaken, fmt.Sprintf(bodyTaken, s.siteURL)))
	case !apperr.Is(err, apperr.NotFound):
		return apperr.Wrap(op, err)
	}
	now := s.clock.Now()
	sg := &Signup{TokenHash: hashToken(token), Email: e, PasswordHash: hash, CreatedAt: now, ExpiresAt: now.Add(SignupLifetime)}
	if err := s.store.CreateSignup(ctx, sg); err != nil {
		return apperr.Wrap(op, err)
	}
	return apperr.Wrap(op, s.mailer.SendMail(ctx, "", e, subjectConfirm, fmt.Sprintf(bodyConfirm, s.siteURL+"/signup/confirm/"+token)))
}

// ConfirmSignUp follows a sign-up link: the link works once, and within
// SignupLifetime. It creates the resident account, its authenticator still
// to be confirmed, and returns a session that can only finish enrollment.
// NotFound for an unknown, used or expired link; Conflict if the address
// got an account since (its owner holds the link, so nothing leaks).
func (s *Service) ConfirmSignUp(ctx context.Context, token string, c ClientInfo) (*User, Grant, error) {
	const op = "identity.ConfirmSignUp"
	if token == "" || len(token) > 100 {
		return nil, Grant{}, apperr.E(op, apperr.NotFound, "This confirmation link is not valid or was already used.")
	}
	// The link is used up and the account made in one transaction: a
	// failure between the two would spend the link and make nobody.
	var u *User
	_, err := s.store.ConsumeSignup(ctx, hashToken(token), func(sg *Signup) (*User, error) {
		if !s.clock.Now().Before(sg.ExpiresAt) {
			return nil, apperr.E(op, apperr.NotFound, "This confirmation link has expired. Sign up again to get a new one.")
		}
		var err error
		if u, err = s.userWithHash(sg.Email, RoleResident, sg.PasswordHash); err != nil {
			return nil, err
		}
		u.Status = StatusPending
		return u, nil
	})
	if err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return nil, Grant{}, &apperr.Error{Op: op, Code: apperr.Conflict, Message: "An account with this e-mail address already exists. Sign in instead.", Err: err}
		}
		return nil, Grant{}, apperr.Wrap(op, err)
	}
	g, err := s.startSession(ctx, u, StageEnroll, c)
	if err != nil {
		return nil, Grant{}, apperr.Wrap(op, err)
	}
	return u, g, nil
}
