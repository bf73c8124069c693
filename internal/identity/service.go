package identity

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/randid"
)

// Config holds the identity rules that an operator or a test may tune.
type Config struct {
	// Issuer names the service in authenticator apps.
	Issuer          string
	Argon2          Argon2Params
	AccountThrottle ThrottlePolicy
	AddressThrottle ThrottlePolicy
	// MaxConcurrentHashes bounds the password hashes computed at once,
	// each taking Argon2.Memory; zero means one per core (GOMAXPROCS).
	MaxConcurrentHashes int
}

// DefaultConfig returns the production settings.
func DefaultConfig() Config {
	return Config{
		Issuer:          "Hearth",
		Argon2:          DefaultArgon2,
		AccountThrottle: DefaultAccountThrottle,
		AddressThrottle: DefaultAddressThrottle,
	}
}

// Service is where every authentication rule lives. Web pages, the JSON API
// and the CLI all go through it.
type Service struct {
	store     Store
	clock     clock.Clock
	rand      io.Reader
	common    CommonPasswords
	cfg       Config
	dummyHash string    // verified against for unknown e-mails, so they cost the same time
	hashing   hashSlots // bounds the argon2id computations running at once
	readLog   ReadLog   // records staff reads of others' addresses; nil: staff read only their own

	// Sign-up e-mail; without a mailer SignUp is Unavailable.
	mailer  Mailer
	siteURL string
}

// Deps are what a Service works with. Store is required; the rest have
// defaults.
type Deps struct {
	Store Store
	// Clock is clock.Real when nil.
	Clock clock.Clock
	// Rand is the source of every secret the service makes; crypto/rand
	// when nil.
	Rand io.Reader
	// CommonPasswords are refused as passwords; the shipped list
	// (LoadCommonPasswords) when nil.
	CommonPasswords CommonPasswords
	// Config tunes the rules; DefaultConfig when zero.
	Config Config
	// ReadLog records reads of others' e-mail addresses (access.Gate);
	// without one staff read no address but their own.
	ReadLog ReadLog
	// Mailer sends sign-up e-mail, with links to SiteURL (where people
	// reach the service, like https://hearth.example.org); without one
	// SignUp is Unavailable.
	Mailer  Mailer
	SiteURL string
}

// NewService returns a Service. Invalid without a store.
func NewService(d Deps) (*Service, error) {
	const op = "identity.NewService"
	if d.Store == nil {
		return nil, apperr.E(op, apperr.Invalid, "The identity service needs a store.")
	}
	d.Clock, d.Rand = clock.OrReal(d.Clock), randid.Source(d.Rand)
	if d.CommonPasswords == nil {
		d.CommonPasswords = LoadCommonPasswords()
	}
	if d.Config == (Config{}) {
		d.Config = DefaultConfig()
	}
	dummy, err := hashPassword("not a real password, never matches", d.Config.Argon2, d.Rand)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return &Service{store: d.Store, clock: d.Clock, rand: d.Rand, common: d.CommonPasswords, cfg: d.Config, dummyHash: dummy, hashing: newHashSlots(d.Config.MaxConcurrentHashes),
		readLog: d.ReadLog, mailer: d.Mailer, siteURL: strings.TrimSuffix(d.SiteURL, "/")}, nil
}

// ClientInfo says where a request comes from; it is shown in the session list
// and keys the per-address throttle.
type ClientInfo struct {
	Addr      string
	UserAgent string
}

// Grant is a session with its secret token. The token is only ever known
// when a session starts or its token is rotated; store it in a cookie.
type Grant struct {
	Session *Session
	Token   string
}

// Enrollment is what an authenticator app needs to be set up. The secret is
// shown to its owner during enrollment only.
type Enrollment struct {
	Secret string
	URI    string
}

// Messages that must not vary between known and unknown e-mails.
const (
	msgBadCredentials = "Incorrect e-mail or password."
	msgBadCode        = "Incorrect code."
)

// NormalizeEmail trims and lower-cases an e-mail address and checks its shape.
func NormalizeEmail(s string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(s))
	if len(e) > 254 {
		return "", apperr.E("identity.NormalizeEmail", apperr.Invalid, "The e-mail address is too long.")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@'):], ".") {
		return "", apperr.E("identity.NormalizeEmail", apperr.Invalid, "Enter a valid e-mail address, like name@example.org.")
	}
	return e, nil
}

// CreateUser creates an active account of any role with an authenticator
// already enabled, for operators. It returns the enrollment, to be shown once,
// and a fresh set of recovery codes.
func (s *Service) CreateUser(ctx context.Context, email string, role Role, password string) (*User, Enrollment, []string, error) {
	const op = "identity.CreateUser"
	if !role.Valid() {
		return nil, Enrollment{}, nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("Unknown role %q; choose one of %s.", role, roleNames()))
	}
	u, err := s.newUser(ctx, op, email, role, password)
	if err != nil {
		return nil, Enrollment{}, nil, apperr.Wrap(op, err)
	}
	u.Status = StatusActive
	u.TOTPEnabled = true
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, Enrollment{}, nil, apperr.Wrap(op, err)
	}
	codes, err := s.replaceRecoveryCodes(ctx, u.ID)
	if err != nil {
		return nil, Enrollment{}, nil, apperr.Wrap(op, err)
	}
	return u, s.enrollment(u.Email, u.TOTPSecret), codes, nil
}

func roleNames() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func (s *Service) newUser(ctx context.Context, op, email string, role Role, password string) (*User, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if err := s.common.CheckPassword(password, e); err != nil {
		return nil, err
	}
	hash, err := s.hash(ctx, op, password)
	if err != nil {
		return nil, err
	}
	return s.userWithHash(e, role, hash)
}

// userWithHash makes an account for an address already normalized, with a
// password already hashed, and a new authenticator secret.
func (s *Service) userWithHash(e string, role Role, hash string) (*User, error) {
	secret, err := newTOTPSecret(s.rand)
	if err != nil {
		return nil, err
	}
	id, err := s.newID("u")
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	return &User{
		ID: UserID(id), Email: e, Role: role, PasswordHash: hash, TOTPSecret: secret,
		CreatedAt: now, PasswordChangedAt: now,
	}, nil
}

// PendingEnrollment returns the authenticator the session's owner is setting
// up: the sign-up one, or a replacement begun with BeginAuthenticatorChange.
// NotFound if there is none.
func (s *Service) PendingEnrollment(ctx context.Context, sess *Session) (Enrollment, error) {
	const op = "identity.PendingEnrollment"
	u, err := s.store.FindUserByID(ctx, sess.UserID)
	if err != nil {
		return Enrollment{}, apperr.Wrap(op, err)
	}
	switch {
	case sess.Stage == StageEnroll && u.Status == StatusPending:
		return s.enrollment(u.Email, u.TOTPSecret), nil
	case sess.Stage == StageFull && u.TOTPPendingSecret != "":
		return s.enrollment(u.Email, u.TOTPPendingSecret), nil
	}
	return Enrollment{}, apperr.E(op, apperr.NotFound, "There is no authenticator waiting to be confirmed.")
}

func (s *Service) enrollment(email, secret string) Enrollment {
	return Enrollment{Secret: secret, URI: OTPAuthURI(s.cfg.Issuer, email, secret)}
}

// ConfirmEnrollment finishes sign-up: a first valid code proves the
// authenticator works, the account becomes active, the session becomes a full
// one under a new token, and ten recovery codes are returned to be shown once.
func (s *Service) ConfirmEnrollment(ctx context.Context, sess *Session, code string, c ClientInfo) ([]string, Grant, error) {
	const op = "identity.ConfirmEnrollment"
	if sess.Stage != StageEnroll {
		return nil, Grant{}, apperr.E(op, apperr.Forbidden, "This sign-in is not enrolling an authenticator.")
	}
	u, err := s.store.FindUserByID(ctx, sess.UserID)
	if err != nil {
		return nil, Grant{}, apperr.Wrap(op, err)
	}
	keys := s.throttleKeys(u.Email, c.Addr)
	if err := s.checkThrottles(ctx, op, keys); err != nil {
		return nil, Grant{}, err
	}
	if err := s.acceptTOTP(ctx, u, u.TOTPSecret, code); err != nil {
		return nil, Grant{}, s.failed(ctx, op, keys, err)
	}
	u.Status = StatusActive
	u.TOTPEnabled = true
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return nil, Grant{}, apperr.Wrap(op, err)
	}
	codes, err := s.replaceRecoveryCodes(ctx, u.ID)
	if err != nil {
		return nil, Grant{}, apperr.Wrap(op, err)
	}
	g, err := s.promote(ctx, sess)
	if err != nil {
		return nil, Grant{}, apperr.Wrap(op, err)
	}
	s.resetThrottles(ctx, keys)
	return codes, g, nil
}

// LogIn checks an e-mail and password. The session it starts is full only
// for an account without a second factor; otherwise it awaits a code
// (VerifySecondFactor) or the end of enrollment. Unknown e-mails and wrong
// passwords get the same Unauthenticated answer, after the same work.
// RateLimited while the account or the client address is throttled.
func (s *Service) LogIn(ctx context.Context, email, password string, c ClientInfo) (Grant, error) {
	const op = "identity.LogIn"
	e, err := NormalizeEmail(email)
	if err != nil {
		return Grant{}, apperr.Wrap(op, err)
	}
	keys := s.throttleKeys(e, c.Addr)
	if err := s.checkThrottles(ctx, op, keys); err != nil {
		return Grant{}, err
	}
	u, err := s.store.FindUserByEmail(ctx, e)
	if apperr.Is(err, apperr.NotFound) {
		_, _ = s.verify(ctx, op, password, s.dummyHash)
		return Grant{}, s.failed(ctx, op, keys, apperr.E(op, apperr.Unauthenticated, msgBadCredentials))
	} else if err != nil {
		return Grant{}, apperr.Wrap(op, err)
	}
	ok, err := s.verify(ctx, op, password, u.PasswordHash)
	if err != nil {
		return Grant{}, apperr.Wrap(op, err)
	}
	if !ok {
		return Grant{}, s.failed(ctx, op, keys, apperr.E(op, apperr.Unauthenticated, msgBadCredentials))
	}
	stage := StageFull
	switch {
	case u.Status == StatusPending:
		stage = StageEnroll
	case u.TOTPEnabled:
		stage = StageSecondFactor
	}
	g, err := s.startSession(ctx, u, stage, c)
	if err != nil {
		return Grant{}, apperr.Wrap(op, err)
	}
	if stage == StageFull {
		s.resetThrottles(ctx, keys)
	}
	return g, nil
}

// VerifySecondFactor completes a sign-in with a TOTP code (each accepted
// once only) or an unused recovery code (each usable once). On success the
// session becomes full under a new token.
func (s *Service) VerifySecondFactor(ctx context.Context, sess *Session, code string, c ClientInfo) (Grant, error) {
	const op = "identity.VerifySecondFactor"
	if sess.Stage != StageSecondFactor {
		return Grant{}, apperr.E(op, apperr.Forbidden, "This sign-in is not waiting for a code.")
	}
	u, err := s.store.FindUserByID(ctx, sess.UserID)
	if err != nil {
		return Grant{}, apperr.Wrap(op, err)
	}
	keys := s.throttleKeys(u.Email, c.Addr)
	if err := s.checkThrottles(ctx, op, keys); err != nil {
		return Grant{}, err
	}
	if rc := normalizeRecoveryCode(code); looksLikeRecoveryCode(rc) {
		err = s.store.UseRecoveryCode(ctx, u.ID, hashRecoveryCode(rc), s.clock.Now())
		if apperr.Is(err, apperr.NotFound) {
			err = apperr.E(op, apperr.Unauthenticated, "This recovery code is not valid or was already used.")
		}
	} else {
		err = s.acceptTOTP(ctx, u, u.TOTPSecret, code)
	}
	if err != nil {
		return Grant{}, s.failed(ctx, op, keys, err)
	}
	g, err := s.promote(ctx, sess)
	if err != nil {
		return Grant{}, apperr.Wrap(op, err)
	}
	s.resetThrottles(ctx, keys)
	return g, nil
}

// acceptTOTP checks code against secret and burns its time step, so the same
// code (or an older one) cannot be used again. Unauthenticated otherwise.
func (s *Service) acceptTOTP(ctx context.Context, u *User, secret, code string) error {
	const op = "identity.acceptTOTP"
	step, ok := matchTOTP(secret, code, s.clock.Now())
	if !ok {
		return apperr.E(op, apperr.Unauthenticated, msgBadCode)
	}
	if err := s.store.AdvanceTOTPStep(ctx, u.ID, step); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return apperr.E(op, apperr.Unauthenticated, "This code was already used. Wait for the next one.")
		}
		return apperr.Wrap(op, err)
	}
	return nil
}

// Authenticate returns the session and account a session token stands for.
// Unauthenticated if the token is unknown, the session has been idle for
// SessionIdleTimeout, or it is past its absolute expiry; expired sessions are
// deleted. It records activity at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, *User, error) {
	const op = "identity.Authenticate"
	if token == "" {
		return nil, nil, apperr.E(op, apperr.Unauthenticated, "Please sign in.")
	}
	sess, err := s.store.FindSessionByTokenHash(ctx, hashToken(token))
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil, apperr.E(op, apperr.Unauthenticated, "Please sign in.")
	} else if err != nil {
		return nil, nil, apperr.Wrap(op, err)
	}
	now := s.clock.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= SessionIdleTimeout {
		if err := s.store.DeleteSession(ctx, sess.UserID, sess.ID); err != nil && !apperr.Is(err, apperr.NotFound) {
			return nil, nil, apperr.Wrap(op, err)
		}
		return nil, nil, apperr.E(op, apperr.Unauthenticated, "Your session has expired. Please sign in again.")
	}
	u, err := s.store.FindUserByID(ctx, sess.UserID)
	if err != nil {
		return nil, nil, apperr.Wrap(op, err)
	}
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		sess.LastSeenAt = now
		if err := s.store.UpdateSession(ctx, sess); err != nil {
			return nil, nil, apperr.Wrap(op, err)
		}
	}
	return sess, u, nil
}

// LogOut ends the session.
func (s *Service) LogOut(ctx context.Context, sess *Session) error {
	err := s.store.DeleteSession(ctx, sess.UserID, sess.ID)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return apperr.Wrap("identity.LogOut", err)
	}
	return nil
}

// throttleMemory is how long failed attempts are remembered after the last
// one: well past the longest delay or lock.
const throttleMemory = 24 * time.Hour

// PurgeExpired deletes sessions past their idle or absolute expiry,
// throttles with no failure for a day, and expired sign-up links. It returns how many of each.
func (s *Service) PurgeExpired(ctx context.Context) (sessions, throttles int, err error) {
	const op = "identity.PurgeExpired"
	now := s.clock.Now()
	if sessions, err = s.store.DeleteExpiredSessions(ctx, now, now.Add(-SessionIdleTimeout)); err != nil {
		return 0, 0, apperr.Wrap(op, err)
	}
	if throttles, err = s.store.DeleteStaleThrottles(ctx, now.Add(-throttleMemory)); err != nil {
		return sessions, 0, apperr.Wrap(op, err)
	}
	if _, err = s.store.DeleteExpiredSignups(ctx, now); err != nil {
		return sessions, throttles, apperr.Wrap(op, err)
	}
	return sessions, throttles, nil
}

func (s *Service) startSession(ctx context.Context, u *User, stage SessionStage, c ClientInfo) (Grant, error) {
	id, err := s.newID("s")
	if err != nil {
		return Grant{}, err
	}
	token, err := s.newToken("hs_")
	if err != nil {
		return Grant{}, err
	}
	now := s.clock.Now()
	life := SessionAbsoluteTimeout
	if stage != StageFull {
		life = PartialSessionTimeout
	}
	sess := &Session{
		ID: SessionID(id), TokenHash: hashToken(token), UserID: u.ID, Stage: stage,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(life),
		UserAgent: truncate(c.UserAgent, 200), ClientAddr: truncate(c.Addr, 64),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return Grant{}, err
	}
	return Grant{Session: sess, Token: token}, nil
}

// promote turns a partial session into a full one under a fresh token, so a
// token seen before the second factor is worth nothing after it.
func (s *Service) promote(ctx context.Context, sess *Session) (Grant, error) {
	token, err := s.newToken("hs_")
	if err != nil {
		return Grant{}, err
	}
	now := s.clock.Now()
	sess.TokenHash = hashToken(token)
	sess.Stage = StageFull
	sess.LastSeenAt = now
	sess.ExpiresAt = now.Add(SessionAbsoluteTimeout)
	if err := s.store.UpdateSession(ctx, sess); err != nil {
		return Grant{}, err
	}
	return Grant{Session: sess, Token: token}, nil
}

func (s *Service) replaceRecoveryCodes(ctx context.Context, id UserID) ([]string, error) {
	codes, hashes, err := newRecoveryCodes(s.rand)
	if err != nil {
		return nil, err
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, id, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

type throttleKey struct {
	key    string
	policy ThrottlePolicy
}

func (s *Service) throttleKeys(email, addr string) []throttleKey {
	keys := []throttleKey{{accountKey(email), s.cfg.AccountThrottle}}
	if addr != "" {
		keys = append(keys, throttleKey{addressKey(addr), s.cfg.AddressThrottle})
	}
	return keys
}

// checkThrottles refuses the attempt while any key is waiting out a delay or a lock.
func (s *Service) checkThrottles(ctx context.Context, op string, keys []throttleKey) error {
	now := s.clock.Now()
	for _, k := range keys {
		t, err := s.store.FindThrottle(ctx, k.key)
		if err != nil {
			return apperr.Wrap(op, err)
		}
		next := k.policy.NextAttempt(t)
		if now.Before(next) {
			wait := next.Sub(now).Round(time.Second)
			if wait < time.Second {
				wait = time.Second
			}
			msg := fmt.Sprintf("Too many failed attempts. Try again in %s.", humanDuration(wait))
			if k.policy.Lock > 0 && t.Failures >= k.policy.Lock {
				msg = fmt.Sprintf("Sign-in is locked after %d failed attempts. Try again in %s.", t.Failures, humanDuration(wait))
			}
			return apperr.E(op, apperr.RateLimited, msg)
		}
	}
	return nil
}

// failed records a failed attempt under every key and returns cause. A
// failure to record is returned instead, so guessing never goes uncounted.
func (s *Service) failed(ctx context.Context, op string, keys []throttleKey, cause error) error {
	now := s.clock.Now()
	for _, k := range keys {
		if _, err := s.store.RecordFailure(ctx, k.key, now); err != nil {
			return apperr.Wrap(op, err)
		}
	}
	return apperr.Wrap(op, cause)
}

// resetThrottles clears the account's count after a full sign-in. The
// address keeps its count: one success must not wash out guesses at others.
func (s *Service) resetThrottles(ctx context.Context, keys []throttleKey) {
	// A failed reset only leaves the count higher than it should be, which is safe.
	_ = s.store.ResetThrottle(ctx, keys[0].key)
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Round(time.Minute).Minutes()))
	default:
		return d.Round(time.Minute).String()
	}
}

func (s *Service) newID(prefix string) (string, error) { return randid.New(s.rand, prefix) }

// newToken returns a 256-bit secret token with a recognisable prefix, so a
// leaked one is easy to spot in logs and code.
func (s *Service) newToken(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", err
	}
	return prefix + randid.Encoding.EncodeToString(b), nil
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
