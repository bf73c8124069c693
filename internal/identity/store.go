package identity

import (
	"context"
	"time"
)

// Throttle counts consecutive failed sign-in attempts under one key (an
// e-mail address's hash, or a client address).
type Throttle struct {
	Key         string
	Failures    int
	LastFailure time.Time
}

// Store persists accounts, sessions, recovery codes, API tokens and throttles.
// Every method is one transaction. Methods return apperr codes:
// NotFound when the object does not exist, Conflict where stated, Internal
// for anything else.
type Store interface {
	// CreateUser inserts u. Conflict if the e-mail is taken.
	CreateUser(ctx context.Context, u *User) error
	// FindUserByID returns the account. NotFound if none.
	FindUserByID(ctx context.Context, id UserID) (*User, error)
	// FindUserByEmail returns the account with exactly that e-mail; callers
	// normalize it first (NormalizeEmail). NotFound if none.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser saves Role, Status, PasswordHash, TOTPSecret, TOTPEnabled,
	// TOTPPendingSecret and PasswordChangedAt. NotFound if u does not exist.
	// TOTPLastStep is only ever changed by AdvanceTOTPStep.
	UpdateUser(ctx context.Context, u *User) error
	// AdvanceTOTPStep records step as the last accepted TOTP step, atomically
	// and only if it is greater than the one recorded. Conflict otherwise
	// (the code was already used); NotFound if there is no such user.
	AdvanceTOTPStep(ctx context.Context, id UserID, step int64) error

	// ReplaceRecoveryCodes deletes the user's recovery codes and stores these
	// hashes. NotFound for an unknown user; Conflict for a repeated hash.
	ReplaceRecoveryCodes(ctx context.Context, id UserID, hashes [][]byte) error
	// UseRecoveryCode marks the unused code with this hash as used at t.
	// NotFound if no unused code of this user has the hash (so a code works
	// once); Invalid for a zero t, which would read as unused.
	UseRecoveryCode(ctx context.Context, id UserID, hash []byte, t time.Time) error
	// CountRecoveryCodes returns how many unused recovery codes the user has
	// (0 for an unknown user).
	CountRecoveryCodes(ctx context.Context, id UserID) (int, error)

	// CreateSession inserts s. NotFound for an unknown user; Conflict if the
	// id or token hash is taken.
	CreateSession(ctx context.Context, s *Session) error
	// FindSessionByTokenHash returns the session. NotFound if none.
	FindSessionByTokenHash(ctx context.Context, hash []byte) (*Session, error)
	// ListSessions returns the user's sessions, newest first (none for an unknown user).
	ListSessions(ctx context.Context, id UserID) ([]*Session, error)
	// UpdateSession saves TokenHash, Stage, LastSeenAt and ExpiresAt. NotFound
	// if none; Conflict if the token hash belongs to another session.
	UpdateSession(ctx context.Context, s *Session) error
	// DeleteSession deletes the user's session. NotFound if the user has no such session.
	DeleteSession(ctx context.Context, user UserID, id SessionID) error
	// DeleteOtherSessions deletes every session of the user except keep
	// (keep may be empty to delete all), and returns how many it deleted.
	DeleteOtherSessions(ctx context.Context, user UserID, keep SessionID) (int, error)
	// DeleteExpiredSessions deletes sessions whose absolute expiry is strictly
	// before t or whose last activity is strictly before idleBefore; it returns how many.
	DeleteExpiredSessions(ctx context.Context, t, idleBefore time.Time) (int, error)

	// CreateAPIToken inserts t. NotFound for an unknown user; Conflict if the
	// id or hash is taken.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// FindAPITokenByHash returns the token. NotFound if none.
	FindAPITokenByHash(ctx context.Context, hash []byte) (*APIToken, error)
	// ListAPITokens returns the user's tokens, newest first (none for an unknown user).
	ListAPITokens(ctx context.Context, user UserID) ([]*APIToken, error)
	// TouchAPIToken records a use at t. NotFound if none.
	TouchAPIToken(ctx context.Context, id TokenID, t time.Time) error
	// DeleteAPIToken deletes the user's token. NotFound if the user has no such token.
	DeleteAPIToken(ctx context.Context, user UserID, id TokenID) error

	// CreateSignup inserts a sign-up waiting for confirmation. Conflict if
	// its token hash is taken.
	CreateSignup(ctx context.Context, sg *Signup) error
	// ConsumeSignup deletes the sign-up with this token hash and returns it,
	// atomically, so a link works once. When account is not nil it is given
	// the sign-up, and the account it returns is created in the same
	// transaction: if account or the creation fails, nothing changes and
	// the link still works. NotFound if there is none; Conflict if the
	// account's e-mail is taken.
	ConsumeSignup(ctx context.Context, hash []byte, account func(*Signup) (*User, error)) (*Signup, error)
	// DeleteExpiredSignups deletes sign-ups that expired strictly before t,
	// and returns how many.
	DeleteExpiredSignups(ctx context.Context, t time.Time) (int, error)

	// FindThrottle returns the throttle for key; a key never seen has zero
	// Failures and no error.
	FindThrottle(ctx context.Context, key string) (Throttle, error)
	// RecordFailure atomically adds one failure at t under key and returns the new state.
	RecordFailure(ctx context.Context, key string, t time.Time) (Throttle, error)
	// ResetThrottle forgets the failures under key.
	ResetThrottle(ctx context.Context, key string) error
	// DeleteStaleThrottles deletes the throttles whose last failure is
	// strictly before t, and returns how many.
	DeleteStaleThrottles(ctx context.Context, t time.Time) (int, error)
}
