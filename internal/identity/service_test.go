package identity_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/identity"
	"hearth/internal/sqlstore"
)

const goodPassword = "correct horse battery staple"

type fixture struct {
	svc   *identity.Service
	clock *clock.Fake
	store identity.Store
	mail  *mailbox
}

// mailbox is a Mailer that keeps what it is given.
type mailbox struct{ sent []sentMail }

type sentMail struct{ to, subject, body string }

func (m *mailbox) SendMail(_ context.Context, _ identity.UserID, to, subject, body string) error {
	m.sent = append(m.sent, sentMail{to, subject, body})
	return nil
}

var linkRE = regexp.MustCompile(`https://hearth\.test/signup/confirm/(\S+)`)

// link returns the sign-up token in the last e-mail to addr, or "".
func (m *mailbox) link(addr string) string {
	for i := len(m.sent) - 1; i >= 0; i-- {
		if m.sent[i].to == addr {
			if l := linkRE.FindStringSubmatch(m.sent[i].body); l != nil {
				return l[1]
			}
			return ""
		}
	}
	return ""
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, t.TempDir()+"/hearth.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store := sqlstore.NewIdentityStore(db)
	clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{Memory: 64, Time: 1, Threads: 1} // fast, for tests only
	mail := &mailbox{}
	svc, err := identity.NewService(identity.Deps{Store: store, Clock: clk, Config: cfg, Mailer: mail, SiteURL: "https://hearth.test/"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, clock: clk, store: store, mail: mail}
}

// startSignUp signs up and follows the link e-mailed to the address; it
// returns the enrolling session.
func (f *fixture) startSignUp(t *testing.T, email string) identity.Grant {
	t.Helper()
	ctx := context.Background()
	if err := f.svc.SignUp(ctx, email, goodPassword, client); err != nil {
		t.Fatal(err)
	}
	e, _ := identity.NormalizeEmail(email)
	token := f.mail.link(e)
	if token == "" {
		t.Fatalf("no sign-up link e-mailed to %s: %+v", e, f.mail.sent)
	}
	_, g, err := f.svc.ConfirmSignUp(ctx, token, client)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var client = identity.ClientInfo{Addr: "192.0.2.10", UserAgent: "test"}

// signUp creates an active resident and returns their TOTP secret and recovery codes.
func (f *fixture) signUp(t *testing.T, email string) (secret string, codes []string) {
	t.Helper()
	ctx := context.Background()
	g := f.startSignUp(t, email)
	en, err := f.svc.PendingEnrollment(ctx, g.Session)
	if err != nil {
		t.Fatal(err)
	}
	codes, _, err = f.svc.ConfirmEnrollment(ctx, g.Session, f.code(t, en.Secret), client)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second) // the enrollment code's step is burnt
	return en.Secret, codes
}

func (f *fixture) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := identity.TOTPCode(secret, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// logIn signs in fully with password and the current TOTP code.
func (f *fixture) logIn(t *testing.T, email, secret string) identity.Grant {
	t.Helper()
	ctx := context.Background()
	g, err := f.svc.LogIn(ctx, email, goodPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	g, err = f.svc.VerifySecondFactor(ctx, g.Session, f.code(t, secret), client)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second)
	return g
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestPasswordPolicy(t *testing.T) {
	common := identity.LoadCommonPasswords()
	if n := len(common); n < 10000 {
		t.Fatalf("common password list has %d entries, want at least 10000", n)
	}
	for _, tc := range []struct {
		name, pw string
		ok       bool
	}{
		{"OK", goodPassword, true},
		{"OK64", strings.Repeat("ab1-", 16), true},
		{"OK256", strings.Repeat("x", 255) + "y", true},
		{"OKNoComposition", "alllowercaseletters", true},
		{"ErrTooShort", "elevenchars", false},
		{"ErrTooShortRunes", "ééééééééééé", false},
		{"ErrTooLong", strings.Repeat("x", 257), false},
		{"ErrCommon", "qwerty123456", false},
		{"ErrCommonCase", "QWERTY123456", false},
		{"ErrEmail", "someone@example.org", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := common.CheckPassword(tc.pw, "someone@example.org")
			if tc.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !tc.ok {
				wantCode(t, err, apperr.Invalid)
			}
		})
	}
}

func TestSignUpAndLogIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret, codes := f.signUp(t, "Ana@Example.org ")
	if len(codes) != identity.RecoveryCodeCount {
		t.Fatalf("got %d recovery codes", len(codes))
	}
	u, err := f.store.FindUserByEmail(ctx, "ana@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$") || strings.Contains(u.PasswordHash, goodPassword) {
		t.Fatalf("password hash %q is not argon2id", u.PasswordHash)
	}
	if u.Status != identity.StatusActive || !u.TOTPEnabled {
		t.Fatalf("user status %q, totp %v", u.Status, u.TOTPEnabled)
	}
	g := f.logIn(t, "ana@example.org", secret)
	sess, got, err := f.svc.Authenticate(ctx, g.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != u.ID || sess.Stage != identity.StageFull {
		t.Fatalf("authenticated as %v stage %v", got.ID, sess.Stage)
	}
}

// TestSignUpSameForKnownAddress: signing up with an address that has an
// account answers exactly as for a new one; the address's owner is told by
// e-mail, with no link that makes an account.
func TestSignUpSameForKnownAddress(t *testing.T) {
	f := newFixture(t)
	f.signUp(t, "ana@example.org")
	before, err := f.store.FindUserByEmail(context.Background(), "ana@example.org")
	if err != nil {
		t.Fatal(err)
	}
	f.mail.sent = nil
	known := f.svc.SignUp(context.Background(), "ANA@example.org", "another long passphrase", client)
	unknown := f.svc.SignUp(context.Background(), "bob@example.org", "another long passphrase", client)
	if known != nil || unknown != nil {
		t.Fatalf("known: %v; unknown: %v", known, unknown)
	}
	if len(f.mail.sent) != 2 || !strings.Contains(f.mail.sent[0].body, "you already have one") || f.mail.link("ana@example.org") != "" {
		t.Fatalf("mail to the known address: %+v", f.mail.sent)
	}
	if f.mail.link("bob@example.org") == "" {
		t.Fatalf("no link for the new address: %+v", f.mail.sent)
	}
	after, err := f.store.FindUserByEmail(context.Background(), "ana@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if after.PasswordHash != before.PasswordHash {
		t.Fatal("signing up with a known address changed its password")
	}
}

// TestConfirmSignUpLink: no account before the link is followed; the link
// works once, within SignupLifetime, and is stored only hashed.
func TestConfirmSignUpLink(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.SignUp(ctx, "ana@example.org", goodPassword, client); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.FindUserByEmail(ctx, "ana@example.org"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("account before confirmation: %v", err)
	}
	token := f.mail.link("ana@example.org")
	if _, _, err := f.svc.ConfirmSignUp(ctx, token+"x", client); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("wrong link: %v", err)
	}
	u, g, err := f.svc.ConfirmSignUp(ctx, token, client)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ana@example.org" || u.Status != identity.StatusPending || g.Session.Stage != identity.StageEnroll {
		t.Fatalf("user %+v stage %v", u, g.Session.Stage)
	}
	if _, _, err := f.svc.ConfirmSignUp(ctx, token, client); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("link used twice: %v", err)
	}
	// The password given at sign-up is the account's.
	if _, err := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client); err != nil {
		t.Fatal(err)
	}

	// Expired.
	if err := f.svc.SignUp(ctx, "bob@example.org", goodPassword, client); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(identity.SignupLifetime)
	if _, _, err := f.svc.ConfirmSignUp(ctx, f.mail.link("bob@example.org"), client); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("expired link: %v", err)
	}
	if _, err := f.store.FindUserByEmail(ctx, "bob@example.org"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("account from an expired link: %v", err)
	}

	// Two pending sign-ups for one address: the second link finds the account made.
	for range 2 {
		if err := f.svc.SignUp(ctx, "cy@example.org", goodPassword, client); err != nil {
			t.Fatal(err)
		}
	}
	var links []string
	for _, m := range f.mail.sent {
		if l := linkRE.FindStringSubmatch(m.body); m.to == "cy@example.org" && l != nil {
			links = append(links, l[1])
		}
	}
	if len(links) != 2 {
		t.Fatalf("links: %v", links)
	}
	if _, _, err := f.svc.ConfirmSignUp(ctx, links[0], client); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.ConfirmSignUp(ctx, links[1], client); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("second link for an address with an account: %v", err)
	}
}

func TestSignUpNeedsMailer(t *testing.T) {
	f := newFixture(t)
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{Memory: 64, Time: 1, Threads: 1}
	svc, err := identity.NewService(identity.Deps{Store: f.store, Clock: f.clock, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, svc.SignUp(context.Background(), "ana@example.org", goodPassword, client), apperr.Unavailable)
}

func TestPendingSessionCannotAct(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	g := f.startSignUp(t, "ana@example.org")
	err := f.svc.ChangePassword(ctx, g.Session, goodPassword, "another long passphrase", client)
	wantCode(t, err, apperr.Unauthenticated)
	// Signing in again before enrollment only leads back to enrollment.
	g2, err := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	if g2.Session.Stage != identity.StageEnroll {
		t.Fatalf("stage = %v, want enroll", g2.Session.Stage)
	}
}

func TestSecondFactor(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrWrongCode", func(t *testing.T) {
		f := newFixture(t)
		secret, _ := f.signUp(t, "ana@example.org")
		g, err := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
		if err != nil {
			t.Fatal(err)
		}
		if g.Session.Stage != identity.StageSecondFactor {
			t.Fatalf("stage %v", g.Session.Stage)
		}
		right := f.code(t, secret)
		wrong := "000000"
		if right == wrong {
			wrong = "000001"
		}
		_, err = f.svc.VerifySecondFactor(ctx, g.Session, wrong, client)
		wantCode(t, err, apperr.Unauthenticated)
		// The half-signed-in token must not work as a session.
		if _, _, err := f.svc.Authenticate(ctx, g.Token); err == nil {
			if err := f.svc.ChangePassword(ctx, g.Session, goodPassword, "another long passphrase", client); !apperr.Is(err, apperr.Unauthenticated) {
				t.Fatalf("partial session could change password: %v", err)
			}
		}
	})
	t.Run("ErrReplayedCode", func(t *testing.T) {
		f := newFixture(t)
		secret, _ := f.signUp(t, "ana@example.org")
		code := f.code(t, secret)
		g, _ := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
		if _, err := f.svc.VerifySecondFactor(ctx, g.Session, code, client); err != nil {
			t.Fatal(err)
		}
		g2, _ := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
		_, err := f.svc.VerifySecondFactor(ctx, g2.Session, code, client)
		wantCode(t, err, apperr.Unauthenticated)
		// An older code, still inside the clock-drift window, is refused too.
		f.clock.Advance(30 * time.Second)
		_, err = f.svc.VerifySecondFactor(ctx, g2.Session, code, client)
		wantCode(t, err, apperr.Unauthenticated)
		// The next step's code works.
		if _, err := f.svc.VerifySecondFactor(ctx, g2.Session, f.code(t, secret), client); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrRecoveryCodeUsedTwice", func(t *testing.T) {
		f := newFixture(t)
		_, codes := f.signUp(t, "ana@example.org")
		g, _ := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
		if _, err := f.svc.VerifySecondFactor(ctx, g.Session, strings.ToUpper(codes[3]), client); err != nil {
			t.Fatalf("first use of a recovery code: %v", err)
		}
		g2, _ := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
		_, err := f.svc.VerifySecondFactor(ctx, g2.Session, codes[3], client)
		wantCode(t, err, apperr.Unauthenticated)
		if _, err := f.svc.VerifySecondFactor(ctx, g2.Session, codes[4], client); err != nil {
			t.Fatalf("another recovery code: %v", err)
		}
		left, err := f.svc.RecoveryCodesLeft(ctx, g2.Session.UserID)
		if err != nil || left != identity.RecoveryCodeCount-2 {
			t.Fatalf("codes left = %d, %v", left, err)
		}
	})
	t.Run("TokenRotatesOnPromotion", func(t *testing.T) {
		f := newFixture(t)
		secret, _ := f.signUp(t, "ana@example.org")
		g, _ := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
		full, err := f.svc.VerifySecondFactor(ctx, g.Session, f.code(t, secret), client)
		if err != nil {
			t.Fatal(err)
		}
		if full.Token == g.Token {
			t.Fatal("token did not change after the second factor")
		}
		_, _, err = f.svc.Authenticate(ctx, g.Token)
		wantCode(t, err, apperr.Unauthenticated)
	})
}

func TestUnknownEmailSameAnswer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "ana@example.org")
	answer := func(email string) (apperr.Code, string) {
		_, err := f.svc.LogIn(ctx, email, "wrong password here", identity.ClientInfo{Addr: "198.51.100." + email[:1]})
		return apperr.CodeOf(err), apperr.MessageOf(err)
	}
	kc, km := answer("ana@example.org")
	uc, um := answer("bob@example.org")
	if kc != apperr.Unauthenticated || kc != uc || km != um {
		t.Fatalf("known e-mail: %s %q; unknown: %s %q", kc, km, uc, um)
	}
	// Lockout must not tell them apart either.
	for range 12 {
		f.clock.Advance(time.Hour)
		answer("ana@example.org")
		answer("bob@example.org")
	}
	kc, km = answer("ana@example.org")
	uc, um = answer("bob@example.org")
	if kc != apperr.RateLimited || kc != uc || km != um {
		t.Fatalf("locked known e-mail: %s %q; unknown: %s %q", kc, km, uc, um)
	}
}

func TestLockout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret, _ := f.signUp(t, "ana@example.org")
	policy := identity.DefaultAccountThrottle
	// Fail Lock times, each after its delay has passed.
	for i := 0; i < policy.Lock; i++ {
		f.clock.Advance(policy.Max)
		_, err := f.svc.LogIn(ctx, "ana@example.org", "wrong password here", client)
		wantCode(t, err, apperr.Unauthenticated)
	}
	// Now even the right password is refused, right away and just before the lock ends.
	_, err := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
	wantCode(t, err, apperr.RateLimited)
	if !strings.Contains(apperr.MessageOf(err), "locked") {
		t.Fatalf("message %q does not say locked", apperr.MessageOf(err))
	}
	f.clock.Advance(policy.LockFor - time.Second)
	_, err = f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
	wantCode(t, err, apperr.RateLimited)
	f.clock.Advance(2 * time.Second)
	g, err := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
	if err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	if _, err := f.svc.VerifySecondFactor(ctx, g.Session, f.code(t, secret), client); err != nil {
		t.Fatal(err)
	}
}

func TestGrowingDelays(t *testing.T) {
	p := identity.DefaultAccountThrottle
	last := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []time.Duration
	for n := 1; n <= p.Lock; n++ {
		next := p.NextAttempt(identity.Throttle{Failures: n, LastFailure: last})
		if next.IsZero() {
			got = append(got, 0)
			continue
		}
		got = append(got, next.Sub(last))
	}
	want := []time.Duration{0, 0, 1 * time.Second, 2 * time.Second, 4 * time.Second,
		8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second, time.Hour}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("delays (-want +got):\n%s", diff)
	}
}

func TestCodeGuessingIsThrottled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.signUp(t, "ana@example.org")
	g, _ := f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
	var err error
	for range identity.DefaultAccountThrottle.Free + 1 {
		_, err = f.svc.VerifySecondFactor(ctx, g.Session, "123456", client)
	}
	wantCode(t, err, apperr.RateLimited)
}

func TestAddressThrottle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := identity.DefaultAddressThrottle
	var err error
	for i := 0; i <= p.Free; i++ {
		// A different account each time: only the address links the attempts.
		_, err = f.svc.LogIn(ctx, "user"+strings.Repeat("x", i)+"@example.org", "wrong password here", identity.ClientInfo{Addr: "2001:db8::1"})
	}
	wantCode(t, err, apperr.RateLimited)
	// Same /64: same throttle. Another address: free.
	_, err = f.svc.LogIn(ctx, "someone@example.org", "wrong password here", identity.ClientInfo{Addr: "2001:db8::2"})
	wantCode(t, err, apperr.RateLimited)
	_, err = f.svc.LogIn(ctx, "someone@example.org", "wrong password here", identity.ClientInfo{Addr: "2001:db9::1"})
	wantCode(t, err, apperr.Unauthenticated)
}

func TestSessionExpiry(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrIdle", func(t *testing.T) {
		f := newFixture(t)
		secret, _ := f.signUp(t, "ana@example.org")
		g := f.logIn(t, "ana@example.org", secret)
		f.clock.Advance(identity.SessionIdleTimeout - 31*time.Second) // logIn advanced 30 s
		if _, _, err := f.svc.Authenticate(ctx, g.Token); err != nil {
			t.Fatalf("just inside the idle timeout: %v", err)
		}
		f.clock.Advance(identity.SessionIdleTimeout)
		_, _, err := f.svc.Authenticate(ctx, g.Token)
		wantCode(t, err, apperr.Unauthenticated)
	})
	t.Run("ErrAbsolute", func(t *testing.T) {
		f := newFixture(t)
		secret, _ := f.signUp(t, "ana@example.org")
		g := f.logIn(t, "ana@example.org", secret)
		// Active every 20 minutes: never idle, but the 12 hours run out.
		elapsed := 30 * time.Second
		for elapsed+20*time.Minute < identity.SessionAbsoluteTimeout {
			f.clock.Advance(20 * time.Minute)
			elapsed += 20 * time.Minute
			if _, _, err := f.svc.Authenticate(ctx, g.Token); err != nil {
				t.Fatalf("at %v: %v", elapsed, err)
			}
		}
		f.clock.Advance(identity.SessionAbsoluteTimeout - elapsed)
		_, _, err := f.svc.Authenticate(ctx, g.Token)
		wantCode(t, err, apperr.Unauthenticated)
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret, _ := f.signUp(t, "ana@example.org")
	mine := f.logIn(t, "ana@example.org", secret)
	other := f.logIn(t, "ana@example.org", secret)
	err := f.svc.ChangePassword(ctx, mine.Session, "wrong current password", "a brand new passphrase", client)
	wantCode(t, err, apperr.Unauthenticated)
	err = f.svc.ChangePassword(ctx, mine.Session, goodPassword, "qwerty123456", client)
	wantCode(t, err, apperr.Invalid)
	if err := f.svc.ChangePassword(ctx, mine.Session, goodPassword, "a brand new passphrase", client); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Authenticate(ctx, mine.Token); err != nil {
		t.Fatalf("own session ended: %v", err)
	}
	_, _, err = f.svc.Authenticate(ctx, other.Token)
	wantCode(t, err, apperr.Unauthenticated)
	_, err = f.svc.LogIn(ctx, "ana@example.org", goodPassword, client)
	wantCode(t, err, apperr.Unauthenticated)
	if _, err := f.svc.LogIn(ctx, "ana@example.org", "a brand new passphrase", client); err != nil {
		t.Fatal(err)
	}
}

func TestAuthenticatorChangeEndsOtherSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret, _ := f.signUp(t, "ana@example.org")
	mine := f.logIn(t, "ana@example.org", secret)
	other := f.logIn(t, "ana@example.org", secret)
	en, err := f.svc.BeginAuthenticatorChange(ctx, mine.Session, goodPassword, client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmAuthenticatorChange(ctx, mine.Session, f.code(t, secret), client); err == nil {
		t.Fatal("old authenticator's code confirmed the new one")
	}
	if _, err := f.svc.ConfirmAuthenticatorChange(ctx, mine.Session, f.code(t, en.Secret), client); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.Authenticate(ctx, other.Token)
	wantCode(t, err, apperr.Unauthenticated)
	f.clock.Advance(30 * time.Second)
	f.logIn(t, "ana@example.org", en.Secret)
}

func TestSessionsListAndRevoke(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret, _ := f.signUp(t, "ana@example.org")
	bobSecret, _ := f.signUp(t, "bob@example.org")
	a1 := f.logIn(t, "ana@example.org", secret)
	a2 := f.logIn(t, "ana@example.org", secret)
	b := f.logIn(t, "bob@example.org", bobSecret)
	list, err := f.svc.ListSessions(ctx, a1.Session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 { // sign-up, and two sign-ins
		t.Fatalf("got %d sessions", len(list))
	}
	// Bob cannot revoke Ana's session.
	err = f.svc.RevokeSession(ctx, b.Session.UserID, a2.Session.ID)
	wantCode(t, err, apperr.NotFound)
	if err := f.svc.RevokeSession(ctx, a1.Session.UserID, a2.Session.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.Authenticate(ctx, a2.Token)
	wantCode(t, err, apperr.Unauthenticated)
}

func TestSecondFactorRequiredForRoles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, role := range identity.Roles {
		t.Run(string(role), func(t *testing.T) {
			email := string(role) + "@example.org"
			u, en, codes, err := f.svc.CreateUser(ctx, email, role, goodPassword)
			if err != nil {
				t.Fatal(err)
			}
			if !u.TOTPEnabled || en.Secret == "" || !strings.HasPrefix(en.URI, "otpauth://totp/") || len(codes) != 10 {
				t.Fatalf("user %+v enrollment %+v", u, en)
			}
			g := f.logIn(t, email, en.Secret)
			err = f.svc.DisableSecondFactor(ctx, g.Session, goodPassword, client)
			if role.RequiresSecondFactor() {
				wantCode(t, err, apperr.Forbidden)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Without a second factor, a password alone signs a resident in.
			g2, err := f.svc.LogIn(ctx, email, goodPassword, client)
			if err != nil || g2.Session.Stage != identity.StageFull {
				t.Fatalf("stage %v, %v", g2.Session, err)
			}
		})
	}
	_, _, _, err := f.svc.CreateUser(ctx, "x@example.org", "emperor", goodPassword)
	wantCode(t, err, apperr.Invalid)
}

func TestAPITokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret, _ := f.signUp(t, "ana@example.org")
	g := f.logIn(t, "ana@example.org", secret)
	user := g.Session.UserID
	for _, bad := range [][]identity.Scope{nil, {"root"}} {
		_, _, err := f.svc.CreateAPIToken(ctx, user, "script", bad)
		wantCode(t, err, apperr.Invalid)
	}
	_, _, err := f.svc.CreateAPIToken(ctx, user, "  ", []identity.Scope{identity.ScopeAccountRead})
	wantCode(t, err, apperr.Invalid)
	token, tok, err := f.svc.CreateAPIToken(ctx, user, "backup script", []identity.Scope{identity.ScopeAccountRead})
	if err != nil {
		t.Fatal(err)
	}
	got, u, err := f.svc.AuthenticateToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != user || !got.Has(identity.ScopeAccountRead) || got.Has(identity.ScopeAccountWrite) {
		t.Fatalf("token %+v for %v", got, u.ID)
	}
	if err := f.svc.RevokeAPIToken(ctx, user, tok.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.AuthenticateToken(ctx, token)
	wantCode(t, err, apperr.Unauthenticated)
}

func TestPurgeExpired(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret, _ := f.signUp(t, "ana@example.org")
	f.logIn(t, "ana@example.org", secret)
	f.svc.LogIn(ctx, "ana@example.org", "wrong password here", client)
	f.clock.Advance(25 * time.Hour)
	sessions, throttles, err := f.svc.PurgeExpired(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sessions != 2 || throttles != 2 { // sign-up and sign-in sessions; account and address throttles
		t.Fatalf("purged %d sessions, %d throttles", sessions, throttles)
	}
}
