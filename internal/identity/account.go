package identity

import (
	"context"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/text"
)

// ListSessions returns the user's sessions, newest first.
func (s *Service) ListSessions(ctx context.Context, user UserID) ([]*Session, error) {
	list, err := s.store.ListSessions(ctx, user)
	return list, apperr.Wrap("identity.ListSessions", err)
}

// RevokeSession ends one of the user's own sessions. NotFound if the user has
// no session with that id, whoever else might.
func (s *Service) RevokeSession(ctx context.Context, user UserID, id SessionID) error {
	return apperr.Wrap("identity.RevokeSession", s.store.DeleteSession(ctx, user, id))
}

// confirmPassword re-checks the password before a sensitive change; failures
// count towards the account's lockout like sign-in failures.
func (s *Service) confirmPassword(ctx context.Context, op string, u *User, password, addr string) error {
	keys := s.throttleKeys(u.Email, addr)
	if err := s.checkThrottles(ctx, op, keys); err != nil {
		return err
	}
	ok, err := s.verify(ctx, op, password, u.PasswordHash)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	if !ok {
		return s.failed(ctx, op, keys, apperr.E(op, apperr.Unauthenticated, "The current password is incorrect."))
	}
	return nil
}

func (s *Service) fullUser(ctx context.Context, op string, sess *Session) (*User, error) {
	if sess.Stage != StageFull {
		return nil, apperr.E(op, apperr.Unauthenticated, "Please finish signing in.")
	}
	u, err := s.store.FindUserByID(ctx, sess.UserID)
	return u, apperr.Wrap(op, err)
}

// ChangePassword replaces the password after checking the current one, and
// ends every other session of the account.
func (s *Service) ChangePassword(ctx context.Context, sess *Session, current, next string, c ClientInfo) error {
	const op = "identity.ChangePassword"
	u, err := s.fullUser(ctx, op, sess)
	if err != nil {
		return err
	}
	if err := s.confirmPassword(ctx, op, u, current, c.Addr); err != nil {
		return err
	}
	if err := s.common.CheckPassword(next, u.Email); err != nil {
		return apperr.Wrap(op, err)
	}
	hash, err := s.hash(ctx, op, next)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	u.PasswordHash = hash
	u.PasswordChangedAt = s.clock.Now()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return apperr.Wrap(op, err)
	}
	_, err = s.store.DeleteOtherSessions(ctx, u.ID, sess.ID)
	return apperr.Wrap(op, err)
}

// RegenerateRecoveryCodes replaces all recovery codes after checking the
// password; the old ones stop working. The new ones are returned to be shown once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, sess *Session, password string, c ClientInfo) ([]string, error) {
	const op = "identity.RegenerateRecoveryCodes"
	u, err := s.fullUser(ctx, op, sess)
	if err != nil {
		return nil, err
	}
	if !u.TOTPEnabled {
		return nil, apperr.E(op, apperr.Invalid, "Turn on two-factor sign-in first.")
	}
	if err := s.confirmPassword(ctx, op, u, password, c.Addr); err != nil {
		return nil, err
	}
	codes, err := s.replaceRecoveryCodes(ctx, u.ID)
	return codes, apperr.Wrap(op, err)
}

// RecoveryCodesLeft returns how many unused recovery codes the user has.
func (s *Service) RecoveryCodesLeft(ctx context.Context, user UserID) (int, error) {
	n, err := s.store.CountRecoveryCodes(ctx, user)
	return n, apperr.Wrap("identity.RecoveryCodesLeft", err)
}

// BeginAuthenticatorChange starts setting up a new authenticator (or the
// first one, for a resident who had turned it off). The current one keeps
// working until ConfirmAuthenticatorChange.
func (s *Service) BeginAuthenticatorChange(ctx context.Context, sess *Session, password string, c ClientInfo) (Enrollment, error) {
	const op = "identity.BeginAuthenticatorChange"
	u, err := s.fullUser(ctx, op, sess)
	if err != nil {
		return Enrollment{}, err
	}
	if err := s.confirmPassword(ctx, op, u, password, c.Addr); err != nil {
		return Enrollment{}, err
	}
	secret, err := newTOTPSecret(s.rand)
	if err != nil {
		return Enrollment{}, apperr.Wrap(op, err)
	}
	u.TOTPPendingSecret = secret
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return Enrollment{}, apperr.Wrap(op, err)
	}
	return s.enrollment(u.Email, secret), nil
}

// ConfirmAuthenticatorChange switches to the new authenticator once it gives
// a valid code, and ends every other session. It returns new recovery codes
// when the account had none (two-factor was off).
func (s *Service) ConfirmAuthenticatorChange(ctx context.Context, sess *Session, code string, c ClientInfo) ([]string, error) {
	const op = "identity.ConfirmAuthenticatorChange"
	u, err := s.fullUser(ctx, op, sess)
	if err != nil {
		return nil, err
	}
	if u.TOTPPendingSecret == "" {
		return nil, apperr.E(op, apperr.NotFound, "There is no new authenticator waiting to be confirmed.")
	}
	keys := s.throttleKeys(u.Email, c.Addr)
	if err := s.checkThrottles(ctx, op, keys); err != nil {
		return nil, err
	}
	if err := s.acceptTOTP(ctx, u, u.TOTPPendingSecret, code); err != nil {
		return nil, s.failed(ctx, op, keys, err)
	}
	wasEnabled := u.TOTPEnabled
	u.TOTPSecret, u.TOTPPendingSecret, u.TOTPEnabled = u.TOTPPendingSecret, "", true
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	var codes []string
	if !wasEnabled {
		if codes, err = s.replaceRecoveryCodes(ctx, u.ID); err != nil {
			return nil, apperr.Wrap(op, err)
		}
	}
	if _, err := s.store.DeleteOtherSessions(ctx, u.ID, sess.ID); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return codes, nil
}

// DisableSecondFactor turns TOTP off for a resident who asks, after checking
// the password, deletes the recovery codes and ends every other session.
// Forbidden for roles that require a second factor.
func (s *Service) DisableSecondFactor(ctx context.Context, sess *Session, password string, c ClientInfo) error {
	const op = "identity.DisableSecondFactor"
	u, err := s.fullUser(ctx, op, sess)
	if err != nil {
		return err
	}
	if u.Role.RequiresSecondFactor() {
		return apperr.E(op, apperr.Forbidden, "Two-factor sign-in is required for your role.")
	}
	if err := s.confirmPassword(ctx, op, u, password, c.Addr); err != nil {
		return err
	}
	u.TOTPEnabled, u.TOTPSecret, u.TOTPPendingSecret = false, "", ""
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return apperr.Wrap(op, err)
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, u.ID, nil); err != nil {
		return apperr.Wrap(op, err)
	}
	_, err = s.store.DeleteOtherSessions(ctx, u.ID, sess.ID)
	return apperr.Wrap(op, err)
}

// tokenName is the rule for an API token's name, which the token list shows.
var tokenName = text.Field{Name: "the token's name", Max: 100, Required: true}

// IssueAPIToken is CreateAPIToken for the owner of a full browser session:
// the only way a person mints a token. There is deliberately no way to mint
// one with another token, so a token cannot widen its own scopes or outlive
// its revocation. Unauthenticated for a session that is not full.
func (s *Service) IssueAPIToken(ctx context.Context, sess *Session, name string, scopes []Scope) (string, *APIToken, error) {
	const op = "identity.IssueAPIToken"
	if sess == nil || sess.Stage != StageFull {
		return "", nil, apperr.E(op, apperr.Unauthenticated, "Please finish signing in.")
	}
	token, t, err := s.CreateAPIToken(ctx, sess.UserID, name, scopes)
	return token, t, apperr.Wrap(op, err)
}

// CreateAPIToken issues a token for scripts, returned once, for operators
// and tests; people go through IssueAPIToken. Invalid for an empty or
// overlong name, no scope or an unknown scope.
func (s *Service) CreateAPIToken(ctx context.Context, user UserID, name string, scopes []Scope) (string, *APIToken, error) {
	const op = "identity.CreateAPIToken"
	name, err := tokenName.Check(name)
	if err != nil {
		return "", nil, apperr.Wrap(op, err)
	}
	if len(scopes) == 0 {
		return "", nil, apperr.E(op, apperr.Invalid, "Choose at least one scope.")
	}
	seen := map[Scope]bool{}
	var clean []Scope
	for _, sc := range scopes {
		if !sc.Valid() {
			return "", nil, apperr.E(op, apperr.Invalid, "Unknown scope "+string(sc)+".")
		}
		if !seen[sc] {
			seen[sc] = true
			clean = append(clean, sc)
		}
	}
	id, err := s.newID("t")
	if err != nil {
		return "", nil, apperr.Wrap(op, err)
	}
	token, err := s.newToken("hrt_")
	if err != nil {
		return "", nil, apperr.Wrap(op, err)
	}
	t := &APIToken{ID: TokenID(id), UserID: user, Name: name, Scopes: clean, Hash: hashToken(token), CreatedAt: s.clock.Now()}
	if err := s.store.CreateAPIToken(ctx, t); err != nil {
		return "", nil, apperr.Wrap(op, err)
	}
	return token, t, nil
}

// ListAPITokens returns the user's tokens, newest first.
func (s *Service) ListAPITokens(ctx context.Context, user UserID) ([]*APIToken, error) {
	list, err := s.store.ListAPITokens(ctx, user)
	return list, apperr.Wrap("identity.ListAPITokens", err)
}

// RevokeAPIToken deletes one of the user's tokens. NotFound if the user has no such token.
func (s *Service) RevokeAPIToken(ctx context.Context, user UserID, id TokenID) error {
	return apperr.Wrap("identity.RevokeAPIToken", s.store.DeleteAPIToken(ctx, user, id))
}

// AuthenticateToken returns the API token and its owner. Unauthenticated if
// the token is unknown or its owner is not an active account.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*APIToken, *User, error) {
	const op = "identity.AuthenticateToken"
	t, err := s.store.FindAPITokenByHash(ctx, hashToken(token))
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil, apperr.E(op, apperr.Unauthenticated, "The API token is not valid.")
	} else if err != nil {
		return nil, nil, apperr.Wrap(op, err)
	}
	u, err := s.store.FindUserByID(ctx, t.UserID)
	if err != nil {
		return nil, nil, apperr.Wrap(op, err)
	}
	if u.Status != StatusActive {
		return nil, nil, apperr.E(op, apperr.Unauthenticated, "The API token is not valid.")
	}
	now := s.clock.Now()
	if now.Sub(t.LastUsedAt) >= time.Minute {
		t.LastUsedAt = now
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			return nil, nil, apperr.Wrap(op, err)
		}
	}
	return t, u, nil
}
