package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

// t0 has microsecond precision, the finest the store keeps, so values read
// back compare equal to those written.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)

func testUser(id, email string) *identity.User {
	return &identity.User{
		ID:           identity.UserID(id),
		Email:        email,
		Role:         identity.RoleResident,
		Status:       identity.StatusActive,
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA",
		CreatedAt:    t0,
	}
}

func mustCreateUser(t *testing.T, s *IdentityStore, id, email string) *identity.User {
	t.Helper()
	u := testUser(id, email)
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", id, err)
	}
	return u
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// countRows runs a COUNT query directly, to see what the interface cannot.
func countRows(t *testing.T, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	err := db.read(context.Background(), "test", func(tx *tx) error {
		return tx.queryRow(context.Background(), query, args...).Scan(&n)
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestStore_CreateUser(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		want := &identity.User{
			ID:                "u1",
			Email:             "ada@example.org",
			Role:              identity.RoleStaff,
			Status:            identity.StatusPending,
			PasswordHash:      "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA",
			TOTPSecret:        "JBSWY3DPEHPK3PXP",
			TOTPEnabled:       true,
			TOTPPendingSecret: "KRSXG5CTMVRXEZLU",
			TOTPLastStep:      12345,
			CreatedAt:         t0,
			PasswordChangedAt: t0.Add(time.Hour),
		}
		if err := s.CreateUser(ctx, want); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		got, err := s.FindUserByID(ctx, "u1")
		if err != nil {
			t.Fatalf("FindUserByID: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindUserByID (-want +got):\n%s", diff)
		}
		got, err = s.FindUserByEmail(ctx, "ada@example.org")
		if err != nil {
			t.Fatalf("FindUserByEmail: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindUserByEmail (-want +got):\n%s", diff)
		}
	})
}

func TestStore_EmailConflict(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		err := s.CreateUser(ctx, testUser("u2", "ada@example.org"))
		wantCode(t, "CreateUser with a taken e-mail", err, apperr.Conflict)
		if msg := apperr.MessageOf(err); msg != msgEmailTaken {
			t.Errorf("message = %q, want %q", msg, msgEmailTaken)
		}
		if _, err := s.FindUserByID(ctx, "u2"); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("the refused account was stored: FindUserByID(u2) = %v", err)
		}
		got, err := s.FindUserByEmail(ctx, "ada@example.org")
		if err != nil || got.ID != "u1" {
			t.Errorf("FindUserByEmail = %v, %v; want u1", got, err)
		}
		mustCreateUser(t, s, "u2", "grace@example.org")
	})
}

func TestStore_FindUserNotFound(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		u, err := s.FindUserByID(ctx, "nobody")
		wantCode(t, "FindUserByID(nobody)", err, apperr.NotFound)
		if u != nil {
			t.Errorf("FindUserByID(nobody) returned %+v with the error", u)
		}
		u, err = s.FindUserByEmail(ctx, "nobody@example.org")
		wantCode(t, "FindUserByEmail(nobody)", err, apperr.NotFound)
		if u != nil {
			t.Errorf("FindUserByEmail(nobody) returned %+v with the error", u)
		}
		// The e-mail is matched exactly: normalizing is the caller's job.
		_, err = s.FindUserByEmail(ctx, "ADA@example.org")
		wantCode(t, "FindUserByEmail(upper case)", err, apperr.NotFound)
	})
}

func TestStore_UpdateUser(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		orig := mustCreateUser(t, s, "u1", "ada@example.org")
		if err := s.AdvanceTOTPStep(ctx, "u1", 50); err != nil {
			t.Fatal(err)
		}

		upd := *orig
		upd.Role = identity.RoleAdmin
		upd.Status = identity.StatusPending
		upd.PasswordHash = "$argon2id$new"
		upd.TOTPSecret = "SECRET"
		upd.TOTPEnabled = true
		upd.TOTPPendingSecret = "PENDING"
		upd.PasswordChangedAt = t0.Add(2 * time.Hour)
		// Not saved by UpdateUser:
		upd.Email = "changed@example.org"
		upd.CreatedAt = t0.Add(time.Hour)
		upd.TOTPLastStep = 1
		if err := s.UpdateUser(ctx, &upd); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}

		want := upd
		want.Email = orig.Email
		want.CreatedAt = orig.CreatedAt
		want.TOTPLastStep = 50
		got, err := s.FindUserByID(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("after UpdateUser (-want +got):\n%s", diff)
		}

		// And back: false and empty values are saved too.
		want.TOTPEnabled = false
		want.TOTPPendingSecret = ""
		if err := s.UpdateUser(ctx, &want); err != nil {
			t.Fatal(err)
		}
		got, err = s.FindUserByID(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("after second UpdateUser (-want +got):\n%s", diff)
		}

		wantCode(t, "UpdateUser(unknown)", s.UpdateUser(ctx, testUser("nobody", "x@example.org")), apperr.NotFound)
	})
}

func TestStore_AdvanceTOTPStep(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		lastStep := func() int64 {
			t.Helper()
			u, err := s.FindUserByID(ctx, "u1")
			if err != nil {
				t.Fatal(err)
			}
			return u.TOTPLastStep
		}

		if err := s.AdvanceTOTPStep(ctx, "u1", 100); err != nil {
			t.Fatalf("AdvanceTOTPStep(100): %v", err)
		}
		if got := lastStep(); got != 100 {
			t.Errorf("TOTPLastStep = %d, want 100", got)
		}
		wantCode(t, "AdvanceTOTPStep(equal)", s.AdvanceTOTPStep(ctx, "u1", 100), apperr.Conflict)
		wantCode(t, "AdvanceTOTPStep(smaller)", s.AdvanceTOTPStep(ctx, "u1", 99), apperr.Conflict)
		if got := lastStep(); got != 100 {
			t.Errorf("after refusals TOTPLastStep = %d, want 100", got)
		}
		if err := s.AdvanceTOTPStep(ctx, "u1", 101); err != nil {
			t.Fatalf("AdvanceTOTPStep(101): %v", err)
		}
		wantCode(t, "AdvanceTOTPStep(unknown user)", s.AdvanceTOTPStep(ctx, "nobody", 500), apperr.NotFound)

		// The same code presented many times at once is accepted once.
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = s.AdvanceTOTPStep(ctx, "u1", 200) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !apperr.Is(err, apperr.Conflict):
				t.Errorf("concurrent AdvanceTOTPStep: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("concurrent AdvanceTOTPStep(200) succeeded %d times, want 1", ok)
		}
		if got := lastStep(); got != 200 {
			t.Errorf("TOTPLastStep = %d, want 200", got)
		}
	})
}

func TestStore_RecoveryCodes(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		mustCreateUser(t, s, "u2", "grace@example.org")
		h := func(s string) []byte { return []byte("hash-" + s) }
		count := func(id identity.UserID, want int) {
			t.Helper()
			n, err := s.CountRecoveryCodes(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("CountRecoveryCodes(%s) = %d, want %d", id, n, want)
			}
		}

		count("u1", 0)
		if err := s.ReplaceRecoveryCodes(ctx, "u1", [][]byte{h("a"), h("b"), h("c")}); err != nil {
			t.Fatalf("ReplaceRecoveryCodes: %v", err)
		}
		if err := s.ReplaceRecoveryCodes(ctx, "u2", [][]byte{h("x")}); err != nil {
			t.Fatal(err)
		}
		count("u1", 3)

		if err := s.UseRecoveryCode(ctx, "u1", h("a"), t0); err != nil {
			t.Fatalf("UseRecoveryCode(a): %v", err)
		}
		count("u1", 2)
		if n := countRows(t, db, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at = ?`,
			"u1", t0.UnixMicro()); n != 1 {
			t.Errorf("codes used at t0 = %d, want 1", n)
		}
		wantCode(t, "UseRecoveryCode(a) again", s.UseRecoveryCode(ctx, "u1", h("a"), t0), apperr.NotFound)
		wantCode(t, "UseRecoveryCode(unknown hash)", s.UseRecoveryCode(ctx, "u1", h("zzz"), t0), apperr.NotFound)
		wantCode(t, "UseRecoveryCode(another user's)", s.UseRecoveryCode(ctx, "u1", h("x"), t0), apperr.NotFound)
		wantCode(t, "UseRecoveryCode(zero time)", s.UseRecoveryCode(ctx, "u1", h("b"), time.Time{}), apperr.Invalid)
		count("u1", 2)
		count("u2", 1)

		// Replacing drops used and unused codes alike.
		if err := s.ReplaceRecoveryCodes(ctx, "u1", [][]byte{h("d"), h("e")}); err != nil {
			t.Fatal(err)
		}
		count("u1", 2)
		if n := countRows(t, db, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?`, "u1"); n != 2 {
			t.Errorf("stored codes after replace = %d, want 2", n)
		}
		wantCode(t, "UseRecoveryCode(replaced)", s.UseRecoveryCode(ctx, "u1", h("b"), t0), apperr.NotFound)
		if err := s.UseRecoveryCode(ctx, "u1", h("e"), t0); err != nil {
			t.Errorf("UseRecoveryCode(e): %v", err)
		}
		count("u1", 1)

		if err := s.ReplaceRecoveryCodes(ctx, "u1", nil); err != nil {
			t.Fatal(err)
		}
		count("u1", 0)
		wantCode(t, "ReplaceRecoveryCodes(unknown user)",
			s.ReplaceRecoveryCodes(ctx, "nobody", [][]byte{h("q")}), apperr.NotFound)
		wantCode(t, "ReplaceRecoveryCodes(repeated hash)",
			s.ReplaceRecoveryCodes(ctx, "u2", [][]byte{h("q"), h("q")}), apperr.Conflict)
		count("u2", 1) // the failed replace changed nothing
	})
}

func testSession(id, user string, created time.Time) *identity.Session {
	return &identity.Session{
		ID:         identity.SessionID(id),
		TokenHash:  []byte("token-" + id),
		UserID:     identity.UserID(user),
		Stage:      identity.StageFull,
		CreatedAt:  created,
		LastSeenAt: created,
		ExpiresAt:  created.Add(identity.SessionAbsoluteTimeout),
		UserAgent:  "Mozilla/5.0 (" + id + ")",
		ClientAddr: "192.0.2.1",
	}
}

func TestStore_Sessions(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		mustCreateUser(t, s, "u2", "grace@example.org")
		s1 := testSession("s1", "u1", t0)
		s2 := testSession("s2", "u1", t0.Add(time.Minute))
		s3 := testSession("s3", "u1", t0.Add(2*time.Minute))
		other := testSession("o1", "u2", t0.Add(3*time.Minute))
		for _, sess := range []*identity.Session{s2, s1, s3, other} {
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatalf("CreateSession(%s): %v", sess.ID, err)
			}
		}
		wantCode(t, "CreateSession(unknown user)", s.CreateSession(ctx, testSession("x", "nobody", t0)), apperr.NotFound)
		dup := testSession("s1", "u1", t0)
		dup.TokenHash = []byte("fresh")
		wantCode(t, "CreateSession(duplicate id)", s.CreateSession(ctx, dup), apperr.Conflict)

		got, err := s.FindSessionByTokenHash(ctx, s2.TokenHash)
		if err != nil {
			t.Fatalf("FindSessionByTokenHash: %v", err)
		}
		if diff := cmp.Diff(s2, got); diff != "" {
			t.Errorf("FindSessionByTokenHash (-want +got):\n%s", diff)
		}
		_, err = s.FindSessionByTokenHash(ctx, []byte("no such token"))
		wantCode(t, "FindSessionByTokenHash(unknown)", err, apperr.NotFound)

		list := func(user identity.UserID, want ...*identity.Session) {
			t.Helper()
			got, err := s.ListSessions(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Errorf("ListSessions(%s) = nil, want a non-nil slice", user)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListSessions(%s) (-want +got):\n%s", user, diff)
			}
		}
		list("u1", s3, s2, s1)
		list("nobody")

		// Update rotates the token and moves the stage and the times; the
		// rest stays as created.
		upd := *s1
		upd.TokenHash = []byte("rotated")
		upd.Stage = identity.StageSecondFactor
		upd.LastSeenAt = t0.Add(10 * time.Minute)
		upd.ExpiresAt = t0.Add(20 * time.Minute)
		upd.UserAgent = "not saved"
		if err := s.UpdateSession(ctx, &upd); err != nil {
			t.Fatalf("UpdateSession: %v", err)
		}
		want := upd
		want.UserAgent = s1.UserAgent
		got, err = s.FindSessionByTokenHash(ctx, []byte("rotated"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("after UpdateSession (-want +got):\n%s", diff)
		}
		_, err = s.FindSessionByTokenHash(ctx, s1.TokenHash)
		wantCode(t, "FindSessionByTokenHash(old token)", err, apperr.NotFound)
		wantCode(t, "UpdateSession(unknown)", s.UpdateSession(ctx, testSession("nope", "u1", t0)), apperr.NotFound)
		clash := want
		clash.TokenHash = s2.TokenHash
		wantCode(t, "UpdateSession(another session's token)", s.UpdateSession(ctx, &clash), apperr.Conflict)

		// A user cannot delete another user's session, and learns nothing
		// from trying.
		wantCode(t, "DeleteSession(other user's)", s.DeleteSession(ctx, "u2", "s1"), apperr.NotFound)
		if err := s.DeleteSession(ctx, "u1", "s1"); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		wantCode(t, "DeleteSession(again)", s.DeleteSession(ctx, "u1", "s1"), apperr.NotFound)
		list("u1", s3, s2)

		n, err := s.DeleteOtherSessions(ctx, "u1", "s3")
		if err != nil || n != 1 {
			t.Errorf("DeleteOtherSessions(keep s3) = %d, %v; want 1, nil", n, err)
		}
		list("u1", s3)
		list("u2", other)
		n, err = s.DeleteOtherSessions(ctx, "u1", "")
		if err != nil || n != 1 {
			t.Errorf("DeleteOtherSessions(keep none) = %d, %v; want 1, nil", n, err)
		}
		list("u1")
		list("u2", other)
	})
}

func TestStore_ExpiredSessions(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		now := t0.Add(24 * time.Hour)
		idleBefore := now.Add(-identity.SessionIdleTimeout)

		mk := func(id string, lastSeen, expires time.Time) {
			t.Helper()
			sess := testSession(id, "u1", t0)
			sess.LastSeenAt, sess.ExpiresAt = lastSeen, expires
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		mk("fresh", now, now.Add(time.Hour))
		mk("idle", idleBefore.Add(-time.Microsecond), now.Add(time.Hour))
		mk("absolute", now, now.Add(-time.Microsecond))
		mk("both", idleBefore.Add(-time.Hour), now.Add(-time.Hour))
		mk("edge", idleBefore, now) // exactly at both bounds: not yet before them

		n, err := s.DeleteExpiredSessions(ctx, now, idleBefore)
		if err != nil || n != 3 {
			t.Errorf("DeleteExpiredSessions = %d, %v; want 3, nil", n, err)
		}
		got, err := s.ListSessions(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, sess := range got {
			ids = append(ids, string(sess.ID))
		}
		sort.Strings(ids)
		if diff := cmp.Diff([]string{"edge", "fresh"}, ids); diff != "" {
			t.Errorf("sessions left (-want +got):\n%s", diff)
		}
		n, err = s.DeleteExpiredSessions(ctx, now, idleBefore)
		if err != nil || n != 0 {
			t.Errorf("second DeleteExpiredSessions = %d, %v; want 0, nil", n, err)
		}
	})
}

func TestStore_APITokens(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		mustCreateUser(t, s, "u2", "grace@example.org")
		mk := func(id, user string, created time.Time, scopes ...identity.Scope) *identity.APIToken {
			return &identity.APIToken{
				ID: identity.TokenID(id), UserID: identity.UserID(user), Name: "script " + id,
				Scopes: scopes, Hash: []byte("hash-" + id), CreatedAt: created,
			}
		}
		t1 := mk("t1", "u1", t0, identity.ScopeAccountRead)
		t2 := mk("t2", "u1", t0.Add(time.Minute), identity.ScopeAccountRead, identity.ScopeAccountWrite)
		t3 := mk("t3", "u1", t0.Add(2*time.Minute)) // no scopes
		other := mk("o1", "u2", t0)
		for _, tok := range []*identity.APIToken{t1, t2, t3, other} {
			if err := s.CreateAPIToken(ctx, tok); err != nil {
				t.Fatalf("CreateAPIToken(%s): %v", tok.ID, err)
			}
		}
		wantCode(t, "CreateAPIToken(unknown user)", s.CreateAPIToken(ctx, mk("x", "nobody", t0)), apperr.NotFound)
		dup := mk("t9", "u1", t0)
		dup.Hash = t1.Hash
		wantCode(t, "CreateAPIToken(duplicate hash)", s.CreateAPIToken(ctx, dup), apperr.Conflict)

		got, err := s.FindAPITokenByHash(ctx, t2.Hash)
		if err != nil {
			t.Fatalf("FindAPITokenByHash: %v", err)
		}
		if diff := cmp.Diff(t2, got); diff != "" {
			t.Errorf("FindAPITokenByHash (-want +got):\n%s", diff)
		}
		if !got.LastUsedAt.IsZero() {
			t.Errorf("LastUsedAt of an unused token = %v, want the zero time", got.LastUsedAt)
		}
		_, err = s.FindAPITokenByHash(ctx, []byte("nope"))
		wantCode(t, "FindAPITokenByHash(unknown)", err, apperr.NotFound)

		all, err := s.ListAPITokens(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*identity.APIToken{t3, t2, t1}, all, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ListAPITokens (-want +got):\n%s", diff)
		}

		used := t0.Add(time.Hour)
		if err := s.TouchAPIToken(ctx, "t1", used); err != nil {
			t.Fatalf("TouchAPIToken: %v", err)
		}
		got, err = s.FindAPITokenByHash(ctx, t1.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if !got.LastUsedAt.Equal(used) {
			t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
		}
		wantCode(t, "TouchAPIToken(unknown)", s.TouchAPIToken(ctx, "nope", used), apperr.NotFound)

		wantCode(t, "DeleteAPIToken(other user's)", s.DeleteAPIToken(ctx, "u2", "t1"), apperr.NotFound)
		if err := s.DeleteAPIToken(ctx, "u1", "t1"); err != nil {
			t.Fatalf("DeleteAPIToken: %v", err)
		}
		wantCode(t, "DeleteAPIToken(again)", s.DeleteAPIToken(ctx, "u1", "t1"), apperr.NotFound)
		_, err = s.FindAPITokenByHash(ctx, t1.Hash)
		wantCode(t, "FindAPITokenByHash(deleted)", err, apperr.NotFound)
		all, err = s.ListAPITokens(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*identity.APIToken{t3, t2}, all, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ListAPITokens after delete (-want +got):\n%s", diff)
		}
		none, err := s.ListAPITokens(ctx, "nobody")
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("ListAPITokens(nobody) = %v, %v; want an empty non-nil slice", none, err)
		}
	})
}

func TestStore_Throttle(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)

		th, err := s.FindThrottle(ctx, "k")
		if err != nil {
			t.Fatalf("FindThrottle(unseen): %v", err)
		}
		if diff := cmp.Diff(identity.Throttle{Key: "k"}, th); diff != "" {
			t.Errorf("FindThrottle(unseen) (-want +got):\n%s", diff)
		}

		for i, at := range []time.Time{t0, t0.Add(time.Second)} {
			th, err := s.RecordFailure(ctx, "k", at)
			if err != nil {
				t.Fatalf("RecordFailure: %v", err)
			}
			if diff := cmp.Diff(identity.Throttle{Key: "k", Failures: i + 1, LastFailure: at}, th); diff != "" {
				t.Errorf("RecordFailure #%d (-want +got):\n%s", i+1, diff)
			}
		}
		th, err = s.FindThrottle(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(identity.Throttle{Key: "k", Failures: 2, LastFailure: t0.Add(time.Second)}, th); diff != "" {
			t.Errorf("FindThrottle (-want +got):\n%s", diff)
		}

		// Concurrent failures are each counted once: every caller sees a
		// distinct count and the last one sees them all.
		const n = 20
		counts := make([]int, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				th, err := s.RecordFailure(ctx, "burst", t0)
				counts[i], errs[i] = th.Failures, err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent RecordFailure: %v", err)
			}
		}
		sort.Ints(counts)
		for i, c := range counts {
			if c != i+1 {
				t.Fatalf("concurrent RecordFailure returned counts %v, want 1..%d once each", counts, n)
			}
		}
		th, err = s.FindThrottle(ctx, "burst")
		if err != nil || th.Failures != n {
			t.Errorf("FindThrottle(burst) = %+v, %v; want %d failures", th, err, n)
		}

		if err := s.ResetThrottle(ctx, "k"); err != nil {
			t.Fatalf("ResetThrottle: %v", err)
		}
		th, err = s.FindThrottle(ctx, "k")
		if err != nil || th.Failures != 0 || !th.LastFailure.IsZero() {
			t.Errorf("after reset FindThrottle = %+v, %v; want zero", th, err)
		}
		if err := s.ResetThrottle(ctx, "never-seen"); err != nil {
			t.Errorf("ResetThrottle(unseen): %v", err)
		}
		th, err = s.FindThrottle(ctx, "burst")
		if err != nil || th.Failures != n {
			t.Errorf("reset of k touched burst: %+v, %v", th, err)
		}
		th, err = s.RecordFailure(ctx, "k", t0)
		if err != nil || th.Failures != 1 {
			t.Errorf("RecordFailure after reset = %+v, %v; want 1 failure", th, err)
		}
	})
}

// TestStore_Times checks the time encoding: UTC on the way out whatever
// the zone on the way in, microseconds kept, the zero time kept as zero.
func TestStore_Times(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		zone := time.FixedZone("UTC+2", 2*60*60)
		u := testUser("u1", "ada@example.org")
		u.CreatedAt = time.Date(2031, 6, 7, 8, 9, 10, 987654321, zone)
		u.PasswordChangedAt = time.Time{}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindUserByID(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2031, 6, 7, 6, 9, 10, 987654000, time.UTC)
		if got.CreatedAt != want {
			t.Errorf("CreatedAt = %#v, want %#v (UTC, microseconds)", got.CreatedAt, want)
		}
		if !got.PasswordChangedAt.IsZero() {
			t.Errorf("PasswordChangedAt = %v, want the zero time", got.PasswordChangedAt)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM users WHERE created_at = ? AND password_changed_at = 0`,
			want.UnixMicro()); n != 1 {
			t.Errorf("stored times are not Unix microseconds with 0 for zero")
		}
	})
}

// TestStore_Cascade checks that foreign keys are enforced with ON DELETE
// CASCADE; on SQLite that needs foreign_keys on every connection.
func TestStore_Cascade(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		mustCreateUser(t, s, "u2", "grace@example.org")
		for _, u := range []string{"u1", "u2"} {
			if err := s.CreateSession(ctx, testSession("s-"+u, u, t0)); err != nil {
				t.Fatal(err)
			}
			tok := &identity.APIToken{ID: identity.TokenID("t-" + u), UserID: identity.UserID(u),
				Name: "n", Hash: []byte("h-" + u), CreatedAt: t0}
			if err := s.CreateAPIToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if err := s.ReplaceRecoveryCodes(ctx, identity.UserID(u), [][]byte{[]byte("r")}); err != nil {
				t.Fatal(err)
			}
		}
		err := db.write(ctx, "test", func(tx *tx) error {
			_, err := tx.exec(ctx, `DELETE FROM users WHERE id = ?`, "u1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for table, want := range map[string]int{"sessions": 1, "api_tokens": 1, "recovery_codes": 1} {
			if n := countRows(t, db, `SELECT COUNT(*) FROM `+table); n != want {
				t.Errorf("%s rows after deleting u1 = %d, want %d", table, n, want)
			}
			if n := countRows(t, db, fmt.Sprintf(`SELECT COUNT(*) FROM %s WHERE user_id = ?`, table), "u2"); n != 1 {
				t.Errorf("%s rows of u2 = %d, want 1", table, n)
			}
		}
	})
}

func TestStore_DeleteStaleThrottles(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		for _, k := range []string{"old1", "old2"} {
			if _, err := s.RecordFailure(ctx, k, t0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.RecordFailure(ctx, "fresh", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		n, err := s.DeleteStaleThrottles(ctx, t0.Add(time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("DeleteStaleThrottles = %d, %v; want 2", n, err)
		}
		for k, want := range map[string]int{"old1": 0, "old2": 0, "fresh": 1} {
			th, err := s.FindThrottle(ctx, k)
			if err != nil || th.Failures != want {
				t.Errorf("%s: %d failures (%v), want %d", k, th.Failures, err, want)
			}
		}
	})
}

func TestStore_Signups(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mk := func(hash, email string, expires time.Time) *identity.Signup {
			t.Helper()
			sg := &identity.Signup{TokenHash: []byte(hash), Email: email, PasswordHash: "$argon2id$x", CreatedAt: t0, ExpiresAt: expires}
			if err := s.CreateSignup(ctx, sg); err != nil {
				t.Fatalf("CreateSignup(%s): %v", hash, err)
			}
			return sg
		}
		a := mk("hash-a", "ada@example.org", t0.Add(time.Hour))
		// One address may have several sign-ups waiting.
		mk("hash-b", "ada@example.org", t0.Add(2*time.Hour))
		mk("old", "bob@example.org", t0.Add(-time.Microsecond))
		mk("edge", "cy@example.org", t0)
		wantCode(t, "CreateSignup(duplicate hash)", s.CreateSignup(ctx, &identity.Signup{TokenHash: []byte("hash-a"), Email: "x@example.org", CreatedAt: t0, ExpiresAt: t0}), apperr.Conflict)

		got, err := s.ConsumeSignup(ctx, []byte("hash-a"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("ConsumeSignup (-want +got):\n%s", diff)
		}
		_, err = s.ConsumeSignup(ctx, []byte("hash-a"), nil)
		wantCode(t, "ConsumeSignup(used)", err, apperr.NotFound)
		_, err = s.ConsumeSignup(ctx, []byte("nothing"), nil)
		wantCode(t, "ConsumeSignup(unknown)", err, apperr.NotFound)

		n, err := s.DeleteExpiredSignups(ctx, t0)
		if err != nil || n != 1 {
			t.Errorf("DeleteExpiredSignups = %d, %v; want 1, nil", n, err)
		}
		for _, h := range []string{"hash-b", "edge"} {
			if _, err := s.ConsumeSignup(ctx, []byte(h), nil); err != nil {
				t.Errorf("ConsumeSignup(%s) after purge: %v", h, err)
			}
		}
		_, err = s.ConsumeSignup(ctx, []byte("old"), nil)
		wantCode(t, "ConsumeSignup(purged)", err, apperr.NotFound)
	})
}

// TestStore_SignupUsedOnce: of two concurrent uses of one link, exactly one
// gets the sign-up.
func TestStore_SignupUsedOnce(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		if err := s.CreateSignup(ctx, &identity.Signup{TokenHash: []byte("h"), Email: "ada@example.org", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				_, err := s.ConsumeSignup(ctx, []byte("h"), nil)
				results <- err
			})
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			if err == nil {
				ok++
			} else if !apperr.Is(err, apperr.NotFound) {
				t.Errorf("ConsumeSignup: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d uses of one link, want 1", ok)
		}
	})
}
