package identity

import (
	"context"
	"time"

	"hearth/internal/apperr"
)

// LookUp returns the id of the account with this e-mail, so staff can name
// the account a support request is about. It reveals only whether the
// account exists; its data is read through the access gate. NotFound if none.
func (s *Service) LookUp(ctx context.Context, email string) (UserID, error) {
	const op = "identity.LookUp"
	e, err := NormalizeEmail(email)
	if err != nil {
		return "", apperr.Wrap(op, err)
	}
	u, err := s.store.FindUserByEmail(ctx, e)
	if apperr.Is(err, apperr.NotFound) {
		return "", apperr.E(op, apperr.NotFound, "No account has this e-mail address.")
	} else if err != nil {
		return "", apperr.Wrap(op, err)
	}
	return u.ID, nil
}

// Summary is an account's metadata as support staff may see it under an
// access grant: no secrets, no hashes.
type Summary struct {
	ID                UserID
	Email             string
	Role              Role
	Status            UserStatus
	TwoFactor         bool
	CreatedAt         time.Time
	PasswordChangedAt time.Time
	Sessions          int
	APITokens         int
}

// Summary returns the account's metadata. Callers other than the account's
// owner reach it only through the access gate. NotFound if none.
func (s *Service) Summary(ctx context.Context, id UserID) (Summary, error) {
	const op = "identity.Summary"
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return Summary{}, apperr.Wrap(op, err)
	}
	sessions, err := s.store.ListSessions(ctx, id)
	if err != nil {
		return Summary{}, apperr.Wrap(op, err)
	}
	tokens, err := s.store.ListAPITokens(ctx, id)
	if err != nil {
		return Summary{}, apperr.Wrap(op, err)
	}
	return Summary{
		ID: u.ID, Email: u.Email, Role: u.Role, Status: u.Status, TwoFactor: u.TOTPEnabled,
		CreatedAt: u.CreatedAt, PasswordChangedAt: u.PasswordChangedAt,
		Sessions: len(sessions), APITokens: len(tokens),
	}, nil
}

// Emails returns the e-mail address of each account in ids that exists, for
// showing a household's members to one another.
func (s *Service) Emails(ctx context.Context, ids []UserID) (map[UserID]string, error) {
	out := make(map[UserID]string, len(ids))
	for _, id := range ids {
		u, err := s.store.FindUserByID(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			continue
		} else if err != nil {
			return nil, apperr.Wrap("identity.Emails", err)
		}
		out[id] = u.Email
	}
	return out, nil
}
