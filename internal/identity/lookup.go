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

// Actor is who reads account data, with the role their account holds.
type Actor struct {
	ID   UserID
	Role Role
}

// Purpose is why staff read another person's account data; the access
// gate writes it in the transparency log and the person's access history.
type Purpose string

// Purposes for which staff read another person's e-mail address.
const (
	// PurposeLegalDemand: staff handling a legal demand see whose account
	// it concerns.
	PurposeLegalDemand Purpose = "legal_demand"
)

// ReadLog records a read of a person's e-mail address by someone else,
// durably, before the address is returned; access.Gate implements it.
type ReadLog interface {
	// RecordEmailRead records that reader reads subject's address for
	// purpose. An error means the read must not happen.
	RecordEmailRead(ctx context.Context, reader Actor, subject UserID, purpose Purpose) error
}

// Emails returns to reader the e-mail address of each account in ids that
// exists. A person reads their own address freely. Staff and
// administrators read anyone else's, for purpose, only through the access
// gate: each other person's read is recorded in the transparency log (and
// so in their "who accessed my data") before their address is fetched,
// and if one cannot be recorded nothing is returned. Forbidden for any
// other role reading someone else's address; Invalid for staff without a
// purpose; Unavailable when the log cannot be written.
func (s *Service) Emails(ctx context.Context, reader Actor, purpose Purpose, ids []UserID) (map[UserID]string, error) {
	const op = "identity.Emails"
	out := make(map[UserID]string, len(ids))
	seen := make(map[UserID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if id != reader.ID {
			switch {
			case reader.Role != RoleStaff && reader.Role != RoleAdmin:
				return nil, apperr.E(op, apperr.Forbidden, "Only the person themself, or staff through the access gate, read an e-mail address.")
			case purpose == "":
				return nil, apperr.E(op, apperr.Invalid, "Staff read someone's e-mail address only for a stated purpose.")
			case s.readLog == nil:
				return nil, apperr.E(op, apperr.Unavailable, "Reads of others' e-mail addresses cannot be recorded, so none happen.")
			}
			if err := s.readLog.RecordEmailRead(ctx, reader, id, purpose); err != nil {
				return nil, apperr.Wrap(op, err)
			}
		}
		u, err := s.store.FindUserByID(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			continue
		} else if err != nil {
			return nil, apperr.Wrap(op, err)
		}
		out[id] = u.Email
	}
	return out, nil
}
