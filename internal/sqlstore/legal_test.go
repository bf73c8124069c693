package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/legal"
)

// sampleDemand is a pending subpoena about u_ana, received on t0's day.
func sampleDemand(id legal.DemandID, recorded time.Time) *legal.Demand {
	return &legal.Demand{ID: id, Type: legal.Subpoena, Agency: "Paris prosecutor", Jurisdiction: "France",
		Scope: "Subscriber information", ReceivedAt: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC), Account: "u_ana",
		RecordedBy: "u_staff", RecordedAt: recorded, RecordedIndex: 4, Outcome: legal.Pending}
}

func legalFixture(t *testing.T, db *DB) *LegalStore {
	t.Helper()
	ids := NewIdentityStore(db)
	mustCreateUser(t, ids, "u_ana", "ana@example.org")
	mustCreateUser(t, ids, "u_bob", "bob@example.org")
	return NewLegalStore(db)
}

func TestStore_LegalDemands(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := legalFixture(t, db)
		if first, err := s.FirstReceived(ctx); err != nil || !first.IsZero() {
			t.Fatalf("FirstReceived with no demands = %v, %v", first, err)
		}
		d := sampleDemand("ld_1", t0)
		d.DelayOrder, d.DelayUntil = "TJ Paris 2030/17", time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
		if err := s.CreateDemand(ctx, d); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindDemand(ctx, "ld_1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(d, got); diff != "" {
			t.Errorf("FindDemand (-want +got):\n%s", diff)
		}
		_, err = s.FindDemand(ctx, "ld_none")
		wantCode(t, "FindDemand of an unknown demand", err, apperr.NotFound)
		orphan := sampleDemand("ld_x", t0)
		orphan.Account = "u_nobody"
		wantCode(t, "CreateDemand about an unknown account", s.CreateDemand(ctx, orphan), apperr.NotFound)
		wantCode(t, "CreateDemand with a taken id", s.CreateDemand(ctx, d), apperr.Conflict)

		later := sampleDemand("ld_2", t0.Add(time.Hour))
		later.Type, later.Account, later.ReceivedAt, later.OwnerConsent = legal.SearchWarrant, "u_bob", time.Date(2029, 12, 30, 0, 0, 0, 0, time.UTC), true
		if err := s.CreateDemand(ctx, later); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListDemands(ctx, 10)
		if err != nil || len(list) != 2 || list[0].ID != "ld_2" || list[1].ID != "ld_1" {
			t.Fatalf("ListDemands (newest first): %v, %v", list, err)
		}
		if one, _ := s.ListDemands(ctx, 1); len(one) != 1 {
			t.Fatalf("ListDemands with limit 1: %d", len(one))
		}
		if first, err := s.FirstReceived(ctx); err != nil || !first.Equal(later.ReceivedAt) {
			t.Fatalf("FirstReceived = %v, %v, want %v", first, err, later.ReceivedAt)
		}
		jan := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		if in, err := s.ListDemandsReceived(ctx, jan, jan.AddDate(0, 6, 0)); err != nil || len(in) != 1 || in[0].ID != "ld_1" {
			t.Fatalf("ListDemandsReceived in 2030-H1: %v, %v", in, err)
		}
		if in, _ := s.ListDemandsReceived(ctx, jan.AddDate(0, -6, 0), jan); len(in) != 1 || in[0].ID != "ld_2" {
			t.Fatalf("ListDemandsReceived in 2029-H2: %v", in)
		}

		if due, err := s.ListDueNotices(ctx, t0.AddDate(1, 0, 0)); err != nil || len(due) != 0 {
			t.Fatalf("ListDueNotices with nothing decided: %v, %v", due, err)
		}
		if ok, err := s.ClaimNotice(ctx, "ld_2", t0, t0.Add(-time.Minute)); err != nil || ok {
			t.Fatalf("ClaimNotice of a pending demand = %v, %v", ok, err)
		}

		d.Outcome, d.Produced, d.Note = legal.Partial, []legal.Category{legal.AccountData}, "e-mail only"
		d.DecidedBy, d.DecidedAt, d.DecidedIndex, d.OwnerConsent = "u_staff", t0.Add(2*time.Hour), 9, true
		if err := s.DecideDemand(ctx, d); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "DecideDemand twice", s.DecideDemand(ctx, d), apperr.Conflict)
		wantCode(t, "DecideDemand of an unknown demand", s.DecideDemand(ctx, &legal.Demand{ID: "ld_none", Outcome: legal.Full}), apperr.NotFound)
		later.Outcome, later.Produced = legal.Full, []legal.Category{legal.AccountData, legal.Metadata, legal.Ciphertext}
		later.DecidedBy, later.DecidedAt, later.DecidedIndex = "u_staff", t0.Add(3*time.Hour), 11
		if err := s.DecideDemand(ctx, later); err != nil {
			t.Fatal(err)
		}
		for _, want := range []*legal.Demand{d, later} {
			if got, _ := s.FindDemand(ctx, want.ID); !cmp.Equal(want, got) {
				t.Errorf("after deciding (-want +got):\n%s", cmp.Diff(want, got))
			}
		}

		// ld_1's notice is delayed to March; ld_2's is due at once.
		due, err := s.ListDueNotices(ctx, t0.Add(4*time.Hour))
		if err != nil || len(due) != 1 || due[0].ID != "ld_2" {
			t.Fatalf("ListDueNotices before the delay lapses: %v, %v", due, err)
		}
		if due, _ := s.ListDueNotices(ctx, d.DelayUntil); len(due) != 2 || due[0].ID != "ld_1" {
			t.Fatalf("ListDueNotices when the delay lapses: %v", due)
		}

		now := t0.Add(5 * time.Hour)
		if ok, err := s.ClaimNotice(ctx, "ld_2", now, now.Add(-time.Minute)); err != nil || !ok {
			t.Fatalf("first ClaimNotice = %v, %v", ok, err)
		}
		if ok, _ := s.ClaimNotice(ctx, "ld_2", now, now.Add(-time.Minute)); ok {
			t.Fatal("a second claim while the first holds succeeded")
		}
		if ok, _ := s.ClaimNotice(ctx, "ld_2", now.Add(time.Hour), now.Add(time.Second)); !ok {
			t.Fatal("a claim after the first went stale failed")
		}
		later.NotifiedAt, later.NotifiedIndex = now, 12
		if err := s.MarkNotified(ctx, later); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "MarkNotified twice", s.MarkNotified(ctx, later), apperr.Conflict)
		wantCode(t, "MarkNotified of an unknown demand", s.MarkNotified(ctx, &legal.Demand{ID: "ld_none", NotifiedAt: now}), apperr.NotFound)
		if ok, _ := s.ClaimNotice(ctx, "ld_2", now.Add(24*time.Hour), now.Add(23*time.Hour)); ok {
			t.Fatal("ClaimNotice of a notified demand succeeded")
		}
		if got, _ := s.FindDemand(ctx, "ld_2"); !cmp.Equal(later, got) {
			t.Errorf("after notifying (-want +got):\n%s", cmp.Diff(later, got))
		}
		if due, _ := s.ListDueNotices(ctx, d.DelayUntil); len(due) != 1 || due[0].ID != "ld_1" {
			t.Fatalf("ListDueNotices after notifying ld_2: %v", due)
		}

		// Deleting the account keeps the demand, without its account, and
		// nobody is left to tell.
		err = db.write(ctx, "test", func(tx *tx) error {
			_, err := tx.exec(ctx, `DELETE FROM users WHERE id = ?`, "u_ana")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.FindDemand(ctx, "ld_1"); err != nil || got.Account != "" || got.Outcome != legal.Partial {
			t.Fatalf("demand after its account was deleted: %+v, %v", got, err)
		}
		if due, _ := s.ListDueNotices(ctx, d.DelayUntil); len(due) != 0 {
			t.Fatalf("ListDueNotices for a deleted account: %v", due)
		}
	})
}
