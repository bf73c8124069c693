package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

// IdentityStore implements identity.Store on a DB.
type IdentityStore struct {
	db *DB
}

// NewIdentityStore returns the identity store kept in db.
func NewIdentityStore(db *DB) *IdentityStore { return &IdentityStore{db: db} }

var _ identity.Store = (*IdentityStore)(nil)

// Messages safe to show; the driver error goes into Err for the log.
const (
	msgNoUser        = "No such account."
	msgEmailTaken    = "An account with this e-mail address already exists."
	msgNoRecovery    = "This recovery code is not valid or has been used."
	msgNoSession     = "No such session."
	msgSessionExists = "A session with this identifier or token already exists."
	msgNoToken       = "No such API token."
	msgTokenExists   = "An API token with this identifier or secret already exists."
	msgStepUsed      = "This code has already been used."
)

// classify turns a constraint violation into the code the interface
// promises, keeping the driver error for the log; anything else is left for
// inTx to wrap as Internal. A foreign-key violation means the owning account
// does not exist.
func classify(op string, d *dialect, err error, conflictMsg string) error {
	return classifyRef(op, d, err, conflictMsg, msgNoUser)
}

// classifyRef is classify for tables whose foreign key names something
// other than an account: a violation is NotFound with missingMsg.
func classifyRef(op string, d *dialect, err error, conflictMsg, missingMsg string) error {
	switch {
	case err == nil:
		return nil
	case conflictMsg != "" && d.uniqueViolation(err):
		return &apperr.Error{Op: op, Code: apperr.Conflict, Message: conflictMsg, Err: err}
	case d.foreignKeyViolation(err):
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: missingMsg, Err: err}
	}
	return err
}

// existsOr tells why a conditional update changed nothing: NotFound with
// missing when the row does not exist, Conflict with conflict when it does.
func existsOr(ctx context.Context, tx *tx, op, query, id, missing, conflict string) error {
	var one int
	err := tx.queryRow(ctx, query, id).Scan(&one)
	switch {
	case err == sql.ErrNoRows:
		return apperr.E(op, apperr.NotFound, missing)
	case err != nil:
		return err
	}
	return apperr.E(op, apperr.Conflict, conflict)
}

// ---- users ----

const userColumns = `id, email, role, status, password_hash, totp_secret, totp_enabled,
	totp_pending_secret, totp_last_step, created_at, password_changed_at`

// CreateUser inserts u. Conflict if the e-mail is taken.
func (s *IdentityStore) CreateUser(ctx context.Context, u *identity.User) error {
	const op = "sqlstore.CreateUser"
	return s.db.write(ctx, op, func(tx *tx) error { return insertUser(ctx, tx, op, u) })
}

func insertUser(ctx context.Context, tx *tx, op string, u *identity.User) error {
	_, err := tx.exec(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(u.ID), u.Email, string(u.Role), string(u.Status), u.PasswordHash,
		u.TOTPSecret, u.TOTPEnabled, u.TOTPPendingSecret, u.TOTPLastStep,
		micros(u.CreatedAt), micros(u.PasswordChangedAt))
	return classify(op, tx.db.d, err, msgEmailTaken)
}

// FindUserByID returns the account. NotFound if none.
func (s *IdentityStore) FindUserByID(ctx context.Context, id identity.UserID) (*identity.User, error) {
	const op = "sqlstore.FindUserByID"
	var u *identity.User
	err := s.db.read(ctx, op, func(tx *tx) (err error) {
		u, err = findUser(ctx, tx, op, `id = ?`, string(id))
		return err
	})
	return u, err
}

// FindUserByEmail returns the account with that normalized e-mail. NotFound if none.
func (s *IdentityStore) FindUserByEmail(ctx context.Context, email string) (*identity.User, error) {
	const op = "sqlstore.FindUserByEmail"
	var u *identity.User
	err := s.db.read(ctx, op, func(tx *tx) (err error) {
		u, err = findUser(ctx, tx, op, `email = ?`, email)
		return err
	})
	return u, err
}

func findUser(ctx context.Context, tx *tx, op, where string, arg any) (*identity.User, error) {
	var (
		u                                   identity.User
		id, role, status                    string
		createdAt, passwordChangedAt, steps int64
	)
	err := tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg).Scan(
		&id, &u.Email, &role, &status, &u.PasswordHash, &u.TOTPSecret, &u.TOTPEnabled,
		&u.TOTPPendingSecret, &steps, &createdAt, &passwordChangedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.E(op, apperr.NotFound, msgNoUser)
	}
	if err != nil {
		return nil, err
	}
	u.ID = identity.UserID(id)
	u.Role = identity.Role(role)
	u.Status = identity.UserStatus(status)
	u.TOTPLastStep = steps
	u.CreatedAt = fromMicros(createdAt)
	u.PasswordChangedAt = fromMicros(passwordChangedAt)
	return &u, nil
}

// userExists reports whether the account exists; it tells "no such user"
// apart from "nothing to change" after a conditional update.
func userExists(ctx context.Context, tx *tx, id identity.UserID) (bool, error) {
	var one int
	err := tx.queryRow(ctx, `SELECT 1 FROM users WHERE id = ?`, string(id)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// UpdateUser saves Role, Status, PasswordHash, TOTPSecret, TOTPEnabled,
// TOTPPendingSecret and PasswordChangedAt. NotFound if u does not exist.
// Email, CreatedAt and TOTPLastStep are left as stored.
func (s *IdentityStore) UpdateUser(ctx context.Context, u *identity.User) error {
	const op = "sqlstore.UpdateUser"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE users SET role = ?, status = ?, password_hash = ?,
			totp_secret = ?, totp_enabled = ?, totp_pending_secret = ?, password_changed_at = ?
			WHERE id = ?`,
			string(u.Role), string(u.Status), u.PasswordHash, u.TOTPSecret, u.TOTPEnabled,
			u.TOTPPendingSecret, micros(u.PasswordChangedAt), string(u.ID))
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoUser)
		}
		return nil
	})
}

// AdvanceTOTPStep records step as the last accepted TOTP step, only if it is
// greater than the one recorded. The comparison and the write are one
// statement, so two requests presenting the same code cannot both pass.
// Conflict if the step is not greater; NotFound if there is no such user.
func (s *IdentityStore) AdvanceTOTPStep(ctx context.Context, id identity.UserID, step int64) error {
	const op = "sqlstore.AdvanceTOTPStep"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE users SET totp_last_step = ?
			WHERE id = ? AND totp_last_step < ?`, step, string(id), step)
		if err != nil || n > 0 {
			return err
		}
		ok, err := userExists(ctx, tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.E(op, apperr.NotFound, msgNoUser)
		}
		return apperr.E(op, apperr.Conflict, msgStepUsed)
	})
}

// ---- recovery codes ----

// ReplaceRecoveryCodes deletes the user's recovery codes and stores these
// hashes. NotFound if there is no such user; Conflict if a hash repeats.
func (s *IdentityStore) ReplaceRecoveryCodes(ctx context.Context, id identity.UserID, hashes [][]byte) error {
	const op = "sqlstore.ReplaceRecoveryCodes"
	return s.db.write(ctx, op, func(tx *tx) error {
		// Checked first so that an empty list for an unknown user fails as
		// a non-empty one would.
		ok, err := userExists(ctx, tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.E(op, apperr.NotFound, msgNoUser)
		}
		if _, err := tx.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, string(id)); err != nil {
			return err
		}
		for _, h := range hashes {
			_, err := tx.exec(ctx, `INSERT INTO recovery_codes (user_id, hash, used_at) VALUES (?, ?, 0)`, string(id), h)
			if err != nil {
				return classify(op, tx.db.d, err, "The recovery codes repeat.")
			}
		}
		return nil
	})
}

// UseRecoveryCode marks the unused code with this hash as used at t, in one
// conditional statement so a code works once even under concurrent use.
// NotFound if no unused code of this user has the hash; Invalid if t is the
// zero time, which would be stored as "unused".
func (s *IdentityStore) UseRecoveryCode(ctx context.Context, id identity.UserID, hash []byte, t time.Time) error {
	const op = "sqlstore.UseRecoveryCode"
	if t.IsZero() {
		return apperr.E(op, apperr.Invalid, "A recovery code needs the time it was used.")
	}
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE recovery_codes SET used_at = ?
			WHERE user_id = ? AND hash = ? AND used_at = 0`, micros(t), string(id), hash)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoRecovery)
		}
		return nil
	})
}

// CountRecoveryCodes returns how many unused recovery codes the user has;
// 0 for an unknown user.
func (s *IdentityStore) CountRecoveryCodes(ctx context.Context, id identity.UserID) (int, error) {
	const op = "sqlstore.CountRecoveryCodes"
	var n int
	err := s.db.read(ctx, op, func(tx *tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at = 0`,
			string(id)).Scan(&n)
	})
	return n, err
}

// ---- sessions ----

const sessionColumns = `id, token_hash, user_id, stage, created_at, last_seen_at, expires_at,
	user_agent, client_addr`

// CreateSession inserts s. NotFound if its user does not exist; Conflict if
// its ID or token hash is taken.
func (s *IdentityStore) CreateSession(ctx context.Context, sess *identity.Session) error {
	const op = "sqlstore.CreateSession"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(sess.ID), sess.TokenHash, string(sess.UserID), string(sess.Stage),
			micros(sess.CreatedAt), micros(sess.LastSeenAt), micros(sess.ExpiresAt),
			sess.UserAgent, sess.ClientAddr)
		return classify(op, tx.db.d, err, msgSessionExists)
	})
}

// FindSessionByTokenHash returns the session. NotFound if none.
func (s *IdentityStore) FindSessionByTokenHash(ctx context.Context, hash []byte) (*identity.Session, error) {
	const op = "sqlstore.FindSessionByTokenHash"
	return findOne(ctx, s.db, op, msgNoSession, scanSessions, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`, hash)
}

// ListSessions returns the user's sessions, newest first.
func (s *IdentityStore) ListSessions(ctx context.Context, id identity.UserID) ([]*identity.Session, error) {
	const op = "sqlstore.ListSessions"
	var out []*identity.Session
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT `+sessionColumns+` FROM sessions
			WHERE user_id = ? ORDER BY created_at DESC, id DESC`, string(id))
		if err != nil {
			return err
		}
		out, err = scanSessions(rows)
		return err
	})
	return out, err
}

// scanSessions reads and closes rows; it never returns a nil slice, so an
// empty list encodes as [] rather than null.
func scanSessions(rows *sql.Rows) ([]*identity.Session, error) {
	defer rows.Close()
	out := []*identity.Session{}
	for rows.Next() {
		var (
			sess                       identity.Session
			id, user, stage            string
			created, lastSeen, expires int64
		)
		if err := rows.Scan(&id, &sess.TokenHash, &user, &stage, &created, &lastSeen, &expires,
			&sess.UserAgent, &sess.ClientAddr); err != nil {
			return nil, err
		}
		sess.ID = identity.SessionID(id)
		sess.UserID = identity.UserID(user)
		sess.Stage = identity.SessionStage(stage)
		sess.CreatedAt = fromMicros(created)
		sess.LastSeenAt = fromMicros(lastSeen)
		sess.ExpiresAt = fromMicros(expires)
		out = append(out, &sess)
	}
	return out, rows.Err()
}

// UpdateSession saves TokenHash, Stage, LastSeenAt and ExpiresAt. NotFound if
// none; Conflict if the new token hash belongs to another session.
func (s *IdentityStore) UpdateSession(ctx context.Context, sess *identity.Session) error {
	const op = "sqlstore.UpdateSession"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE sessions SET token_hash = ?, stage = ?, last_seen_at = ?, expires_at = ?
			WHERE id = ?`,
			sess.TokenHash, string(sess.Stage), micros(sess.LastSeenAt), micros(sess.ExpiresAt), string(sess.ID))
		if err != nil {
			return classify(op, tx.db.d, err, msgSessionExists)
		}
		if n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoSession)
		}
		return nil
	})
}

// DeleteSession deletes the user's session. NotFound if the user has no such
// session, including when it belongs to someone else.
func (s *IdentityStore) DeleteSession(ctx context.Context, user identity.UserID, id identity.SessionID) error {
	const op = "sqlstore.DeleteSession"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, string(id), string(user))
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoSession)
		}
		return nil
	})
}

// DeleteOtherSessions deletes every session of the user except keep (keep
// may be empty to delete all), and returns how many it deleted.
func (s *IdentityStore) DeleteOtherSessions(ctx context.Context, user identity.UserID, keep identity.SessionID) (int, error) {
	const op = "sqlstore.DeleteOtherSessions"
	var n int
	err := s.db.write(ctx, op, func(tx *tx) (err error) {
		n, err = tx.execCount(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, string(user), string(keep))
		return err
	})
	return n, err
}

// DeleteExpiredSessions deletes sessions whose absolute expiry is before t
// or whose last activity is before idleBefore; it returns how many.
func (s *IdentityStore) DeleteExpiredSessions(ctx context.Context, t, idleBefore time.Time) (int, error) {
	const op = "sqlstore.DeleteExpiredSessions"
	var n int
	err := s.db.write(ctx, op, func(tx *tx) (err error) {
		n, err = tx.execCount(ctx, `DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?`,
			micros(t), micros(idleBefore))
		return err
	})
	return n, err
}

// ---- API tokens ----

const tokenColumns = `id, user_id, name, scopes, hash, created_at, last_used_at`

// CreateAPIToken inserts t. NotFound if its user does not exist; Conflict if
// its ID or hash is taken.
func (s *IdentityStore) CreateAPIToken(ctx context.Context, t *identity.APIToken) error {
	const op = "sqlstore.CreateAPIToken"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			string(t.ID), string(t.UserID), t.Name, identity.ScopeList(t.Scopes), t.Hash,
			micros(t.CreatedAt), micros(t.LastUsedAt))
		return classify(op, tx.db.d, err, msgTokenExists)
	})
}

// FindAPITokenByHash returns the token. NotFound if none.
func (s *IdentityStore) FindAPITokenByHash(ctx context.Context, hash []byte) (*identity.APIToken, error) {
	const op = "sqlstore.FindAPITokenByHash"
	return findOne(ctx, s.db, op, msgNoToken, scanTokens, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`, hash)
}

// ListAPITokens returns the user's tokens, newest first.
func (s *IdentityStore) ListAPITokens(ctx context.Context, user identity.UserID) ([]*identity.APIToken, error) {
	const op = "sqlstore.ListAPITokens"
	var out []*identity.APIToken
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT `+tokenColumns+` FROM api_tokens
			WHERE user_id = ? ORDER BY created_at DESC, id DESC`, string(user))
		if err != nil {
			return err
		}
		out, err = scanTokens(rows)
		return err
	})
	return out, err
}

// scanTokens reads and closes rows; it never returns a nil slice.
func scanTokens(rows *sql.Rows) ([]*identity.APIToken, error) {
	defer rows.Close()
	out := []*identity.APIToken{}
	for rows.Next() {
		var (
			t                 identity.APIToken
			id, user, scopes  string
			created, lastUsed int64
		)
		if err := rows.Scan(&id, &user, &t.Name, &scopes, &t.Hash, &created, &lastUsed); err != nil {
			return nil, err
		}
		t.ID = identity.TokenID(id)
		t.UserID = identity.UserID(user)
		t.Scopes = identity.ParseScopeList(scopes)
		t.CreatedAt = fromMicros(created)
		t.LastUsedAt = fromMicros(lastUsed)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// TouchAPIToken records a use at t. NotFound if none.
func (s *IdentityStore) TouchAPIToken(ctx context.Context, id identity.TokenID, t time.Time) error {
	const op = "sqlstore.TouchAPIToken"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, micros(t), string(id))
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoToken)
		}
		return nil
	})
}

// DeleteAPIToken deletes the user's token. NotFound if the user has no such
// token, including when it belongs to someone else.
func (s *IdentityStore) DeleteAPIToken(ctx context.Context, user identity.UserID, id identity.TokenID) error {
	const op = "sqlstore.DeleteAPIToken"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `DELETE FROM api_tokens WHERE id = ? AND user_id = ?`, string(id), string(user))
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoToken)
		}
		return nil
	})
}

// ---- throttles ----

// FindThrottle returns the throttle for key; a key never seen has zero
// Failures and no error.
func (s *IdentityStore) FindThrottle(ctx context.Context, key string) (identity.Throttle, error) {
	const op = "sqlstore.FindThrottle"
	th := identity.Throttle{Key: key}
	err := s.db.read(ctx, op, func(tx *tx) error {
		var last int64
		err := tx.queryRow(ctx, `SELECT failures, last_failure FROM login_throttles WHERE key = ?`, key).
			Scan(&th.Failures, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		th.LastFailure = fromMicros(last)
		return err
	})
	if err != nil {
		return identity.Throttle{}, err
	}
	return th, nil
}

// RecordFailure atomically adds one failure at t under key and returns the
// new state. The increment happens in the database in one upsert, so
// concurrent failures are all counted.
func (s *IdentityStore) RecordFailure(ctx context.Context, key string, t time.Time) (identity.Throttle, error) {
	const op = "sqlstore.RecordFailure"
	th := identity.Throttle{Key: key}
	err := s.db.write(ctx, op, func(tx *tx) error {
		var last int64
		err := tx.queryRow(ctx, `INSERT INTO login_throttles (key, failures, last_failure) VALUES (?, 1, ?)
			ON CONFLICT (key) DO UPDATE SET failures = login_throttles.failures + 1,
				last_failure = excluded.last_failure
			RETURNING failures, last_failure`, key, micros(t)).Scan(&th.Failures, &last)
		th.LastFailure = fromMicros(last)
		return err
	})
	if err != nil {
		return identity.Throttle{}, err
	}
	return th, nil
}

// ResetThrottle forgets the failures under key.
func (s *IdentityStore) ResetThrottle(ctx context.Context, key string) error {
	const op = "sqlstore.ResetThrottle"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `DELETE FROM login_throttles WHERE key = ?`, key)
		return err
	})
}

// DeleteStaleThrottles deletes the throttles whose last failure is strictly before t.
func (s *IdentityStore) DeleteStaleThrottles(ctx context.Context, t time.Time) (int, error) {
	const op = "sqlstore.DeleteStaleThrottles"
	var n int
	err := s.db.write(ctx, op, func(tx *tx) (err error) {
		n, err = tx.execCount(ctx, `DELETE FROM login_throttles WHERE last_failure < ?`, micros(t))
		return err
	})
	return n, err
}

const msgNoSignup = "This confirmation link is not valid or was already used."

// CreateSignup inserts sg. Conflict if its token hash is taken.
func (s *IdentityStore) CreateSignup(ctx context.Context, sg *identity.Signup) error {
	const op = "sqlstore.CreateSignup"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO signups (token_hash, email, password_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			sg.TokenHash, sg.Email, sg.PasswordHash, micros(sg.CreatedAt), micros(sg.ExpiresAt))
		return classify(op, tx.db.d, err, "A sign-up with this link already exists.")
	})
}

// ConsumeSignup deletes the sign-up with this token hash and returns it, in
// one statement, so two requests cannot both use one link. NotFound if none.
func (s *IdentityStore) ConsumeSignup(ctx context.Context, hash []byte, account func(*identity.Signup) (*identity.User, error)) (*identity.Signup, error) {
	const op = "sqlstore.ConsumeSignup"
	var sg *identity.Signup
	err := s.db.write(ctx, op, func(tx *tx) error {
		var created, expires int64
		x := identity.Signup{}
		err := tx.queryRow(ctx, `DELETE FROM signups WHERE token_hash = ? RETURNING token_hash, email, password_hash, created_at, expires_at`, hash).
			Scan(&x.TokenHash, &x.Email, &x.PasswordHash, &created, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.E(op, apperr.NotFound, msgNoSignup)
		} else if err != nil {
			return err
		}
		x.CreatedAt, x.ExpiresAt = fromMicros(created), fromMicros(expires)
		if account != nil {
			u, err := account(&x)
			if err != nil {
				return err
			}
			if err := insertUser(ctx, tx, op, u); err != nil {
				return err
			}
		}
		sg = &x
		return nil
	})
	return sg, err
}

// DeleteExpiredSignups deletes sign-ups whose link expired strictly before
// t, and returns how many.
func (s *IdentityStore) DeleteExpiredSignups(ctx context.Context, t time.Time) (int, error) {
	const op = "sqlstore.DeleteExpiredSignups"
	var n int
	err := s.db.write(ctx, op, func(tx *tx) (err error) {
		n, err = tx.execCount(ctx, `DELETE FROM signups WHERE expires_at < ?`, micros(t))
		return err
	})
	return n, err
}
