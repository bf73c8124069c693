package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/access"
	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/notice"
)

func TestStore_Grants(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ids := NewIdentityStore(db)
		mustCreateUser(t, ids, "u_staff", "staff@example.org")
		mustCreateUser(t, ids, "u_staff2", "staff2@example.org")
		mustCreateUser(t, ids, "u_ana", "ana@example.org")
		s := NewAccessStore(db)
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		g := &access.Grant{ID: "g_1", Staff: "u_staff", Subject: "u_ana", Object: access.ObjectAccountMetadata,
			Reason: "ticket 42: cannot sign in", Duration: 2 * time.Hour, Status: access.GrantPending, RequestedAt: t0}
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		err := s.CreateGrant(ctx, &access.Grant{ID: "g_x", Staff: "u_nobody", Subject: "u_ana", Status: access.GrantPending, RequestedAt: t0})
		wantCode(t, "grant for unknown staff", err, apperr.NotFound)
		g2 := *g
		g2.ID, g2.Staff, g2.RequestedAt = "g_2", "u_staff2", t0.Add(time.Minute)
		if err := s.CreateGrant(ctx, &g2); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindGrant(ctx, "g_1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(g, got); diff != "" {
			t.Fatalf("FindGrant (-want +got):\n%s", diff)
		}
		_, err = s.FindGrant(ctx, "g_none")
		wantCode(t, "FindGrant unknown", err, apperr.NotFound)

		g.Status, g.DecidedBy, g.DecidedAt, g.ExpiresAt = access.GrantApproved, "u_admin", t0.Add(time.Hour), t0.Add(3*time.Hour)
		if err := s.DecideGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		g.Status = access.GrantDenied
		wantCode(t, "second decision", s.DecideGrant(ctx, g), apperr.Conflict)
		wantCode(t, "decide unknown", s.DecideGrant(ctx, &access.Grant{ID: "g_none"}), apperr.NotFound)
		got, _ = s.FindGrant(ctx, "g_1")
		if got.Status != access.GrantApproved || !got.ExpiresAt.Equal(t0.Add(3*time.Hour)) {
			t.Fatalf("after decision: %+v", got)
		}

		mine, err := s.ListGrants(ctx, "u_staff", 10)
		if err != nil || len(mine) != 1 || mine[0].ID != "g_1" {
			t.Fatalf("ListGrants(staff) = %v, %v", mine, err)
		}
		all, err := s.ListGrants(ctx, "", 10)
		if err != nil || len(all) != 2 || all[0].ID != "g_2" { // pending first
			t.Fatalf("ListGrants(all) = %v, %v", all, err)
		}
	})
}

func TestStore_AccessEvents(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewAccessStore(db)
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		for i, subj := range []access.Subject{"user:u_ana", "user:u_bob", "user:u_ana"} {
			e := &access.Event{ID: "ae_" + string(rune('a'+i)), Subject: subj, LogIndex: uint64(10 + i), Actor: "S-0123456789",
				ActorRole: identity.RoleStaff, Object: access.ObjectAccountMetadata, Purpose: access.PurposeSupport,
				LegalBasis: access.BasisAccessGrant, Grant: "g_1", Time: t0.Add(time.Duration(i) * time.Minute)}
			if err := s.CreateEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.ListEvents(ctx, "user:u_ana", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].LogIndex != 12 || list[1].LogIndex != 10 || list[0].Grant != "g_1" || !list[1].Time.Equal(t0) {
			t.Fatalf("ListEvents = %+v", list)
		}
		none, err := s.ListEvents(ctx, "user:u_carol", 10)
		if err != nil || none == nil || len(none) != 0 {
			t.Fatalf("no events: %v, %v", none, err)
		}
	})
}

func TestStore_Notices(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mustCreateUser(t, NewIdentityStore(db), "u_ana", "ana@example.org")
		s := NewNoticeStore(db)
		t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		for i, text := range []string{"first", "second"} {
			n := &notice.Notice{ID: notice.ID("n_" + text), UserID: "u_ana", Kind: notice.KindAccessGrant, Text: text, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
			if err := s.CreateNotice(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		err := s.CreateNotice(ctx, &notice.Notice{ID: "n_x", UserID: "u_nobody", Kind: notice.KindAccessGrant, Text: "x", CreatedAt: t0})
		wantCode(t, "notice for unknown user", err, apperr.NotFound)
		if err := s.MarkNoticesRead(ctx, "u_ana", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListNotices(ctx, "u_ana", 10)
		if err != nil || len(list) != 2 || list[0].Text != "second" || !list[0].ReadAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("ListNotices = %+v, %v", list, err)
		}
	})
}
