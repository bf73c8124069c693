package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
)

func sampleHousehold(id string, created time.Time) *household.Household {
	return &household.Household{
		ID: household.ID(id), Name: "Maison " + id, Address: "1 rue de Rivoli, Paris",
		// More digits than any UI shows: the store must keep them all.
		Home:     household.Location{Lat: 48.858370123456789, Lng: -2.294481987654321},
		TimeZone: "Europe/Paris", RetentionDays: 30, CreatedAt: created,
	}
}

// householdFixture is a store with users u_ana, u_bob, u_cy and u_dee, and a
// household h_1 owned by u_ana.
func householdFixture(t *testing.T, db *DB) (*HouseholdStore, *household.Household) {
	t.Helper()
	ids := NewIdentityStore(db)
	for _, u := range []string{"ana", "bob", "cy", "dee"} {
		mustCreateUser(t, ids, "u_"+u, u+"@example.org")
	}
	s := NewHouseholdStore(db)
	h := sampleHousehold("h_1", t0)
	if err := s.CreateHousehold(context.Background(), h, "u_ana"); err != nil {
		t.Fatalf("CreateHousehold: %v", err)
	}
	return s, h
}

// anyInvitation lets every invitation be used: the rules are the service's.
func anyInvitation(*household.Invitation, household.MemberRole) error { return nil }

// mustJoinHousehold makes user a member of h through a fresh invitation from u_ana.
func mustJoinHousehold(t *testing.T, s *HouseholdStore, h household.ID, user identity.UserID) {
	t.Helper()
	ctx := context.Background()
	hash := []byte("join " + string(h) + " " + string(user))
	if err := s.CreateInvitation(ctx, &household.Invitation{TokenHash: hash, Household: h, CreatedBy: "u_ana",
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatalf("CreateInvitation: %v", err)
	}
	if _, err := s.RedeemInvitation(ctx, hash, user, t0.Add(time.Minute), anyInvitation); err != nil {
		t.Fatalf("RedeemInvitation(%s): %v", user, err)
	}
}

func TestStore_HouseholdCreate(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, h := householdFixture(t, db)
		got, err := s.FindHousehold(ctx, "h_1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(h, got); diff != "" {
			t.Errorf("FindHousehold (-want +got):\n%s", diff)
		}
		m, err := s.FindMember(ctx, "h_1", "u_ana")
		if err != nil {
			t.Fatal(err)
		}
		want := &household.Member{Household: "h_1", UserID: "u_ana", Role: household.RoleOwner, JoinedAt: t0}
		if diff := cmp.Diff(want, m); diff != "" {
			t.Errorf("FindMember (-want +got):\n%s", diff)
		}

		wantCode(t, "CreateHousehold with a taken id", s.CreateHousehold(ctx, sampleHousehold("h_1", t0), "u_bob"), apperr.Conflict)
		wantCode(t, "CreateHousehold for an unknown owner", s.CreateHousehold(ctx, sampleHousehold("h_2", t0), "u_nobody"), apperr.NotFound)
		// The household row went with the refused membership.
		_, err = s.FindHousehold(ctx, "h_2")
		wantCode(t, "FindHousehold after a refused create", err, apperr.NotFound)
		_, err = s.FindMember(ctx, "h_1", "u_bob")
		wantCode(t, "FindMember of a non-member", err, apperr.NotFound)
		_, err = s.FindMember(ctx, "h_none", "u_ana")
		wantCode(t, "FindMember of an unknown household", err, apperr.NotFound)
	})
}

func TestStore_HouseholdListAndUpdate(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, h1 := householdFixture(t, db)
		h0 := sampleHousehold("h_0", t0.Add(-time.Hour)) // older, so listed first
		if err := s.CreateHousehold(ctx, h0, "u_ana"); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateHousehold(ctx, sampleHousehold("h_bob", t0), "u_bob"); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListHouseholdsForUser(ctx, "u_ana")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*household.Household{h0, h1}, list); diff != "" {
			t.Errorf("ListHouseholdsForUser (-want +got):\n%s", diff)
		}
		none, err := s.ListHouseholdsForUser(ctx, "u_nobody")
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("ListHouseholdsForUser(unknown) = %v, %v; want empty", none, err)
		}

		up := *h1
		up.Name, up.Address, up.TimeZone, up.RetentionDays = "Chez nous", "", "America/New_York", 180
		up.Home = household.Location{Lat: -33.8567844, Lng: 151.2152967}
		up.CreatedAt = t0.Add(time.Hour) // not a setting: must not be saved
		if err := s.UpdateHousehold(ctx, &up); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindHousehold(ctx, "h_1")
		if err != nil {
			t.Fatal(err)
		}
		up.CreatedAt = t0
		if diff := cmp.Diff(&up, got); diff != "" {
			t.Errorf("after UpdateHousehold (-want +got):\n%s", diff)
		}
		wantCode(t, "UpdateHousehold unknown", s.UpdateHousehold(ctx, sampleHousehold("h_none", t0)), apperr.NotFound)
	})
}

func TestStore_HouseholdListHomes(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := householdFixture(t, db)
		var want []household.HomeEntry
		want = append(want, household.HomeEntry{Household: "h_1", Home: sampleHousehold("h_1", t0).Home})
		for i := 2; i <= 5; i++ {
			h := sampleHousehold(fmt.Sprintf("h_%d", i), t0)
			h.Home = household.Location{Lat: float64(i), Lng: -float64(i) / 3}
			if err := s.CreateHousehold(ctx, h, "u_bob"); err != nil {
				t.Fatal(err)
			}
			want = append(want, household.HomeEntry{Household: h.ID, Home: h.Home})
		}
		var got []household.HomeEntry
		var after household.ID
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("ListHomes does not move on")
			}
			page, err := s.ListHomes(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 2 {
				t.Fatalf("ListHomes returned %d entries, limit 2", len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Household
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListHomes pages (-want +got):\n%s", diff)
		}
	})
}

func TestStore_HouseholdMembers(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := householdFixture(t, db)
		mustJoinHousehold(t, s, "h_1", "u_bob")
		mustJoinHousehold(t, s, "h_1", "u_cy")
		if err := s.SetMemberRole(ctx, "h_1", "u_cy", household.RoleOwner); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListMembers(ctx, "h_1")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range list {
			got = append(got, string(m.UserID)+":"+string(m.Role))
		}
		// Owners first, then in joining order.
		if diff := cmp.Diff([]string{"u_ana:owner", "u_cy:owner", "u_bob:member"}, got); diff != "" {
			t.Errorf("ListMembers (-want +got):\n%s", diff)
		}
		if !list[2].JoinedAt.Equal(t0.Add(time.Minute)) || list[2].Household != "h_1" {
			t.Errorf("ListMembers: bob = %+v", list[2])
		}
		_, err = s.ListMembers(ctx, "h_none")
		wantCode(t, "ListMembers unknown", err, apperr.NotFound)
	})
}

func TestStore_HouseholdSetMemberRole(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := householdFixture(t, db)
		mustJoinHousehold(t, s, "h_1", "u_bob")
		wantCode(t, "demote the only owner", s.SetMemberRole(ctx, "h_1", "u_ana", household.RoleMember), apperr.Conflict)
		wantCode(t, "role of a non-member", s.SetMemberRole(ctx, "h_1", "u_cy", household.RoleOwner), apperr.NotFound)
		wantCode(t, "role in an unknown household", s.SetMemberRole(ctx, "h_none", "u_ana", household.RoleOwner), apperr.NotFound)
		if err := s.SetMemberRole(ctx, "h_1", "u_ana", household.RoleOwner); err != nil {
			t.Errorf("SetMemberRole to the same role: %v", err)
		}
		// Handing over: make bob owner, then ana may step down.
		if err := s.SetMemberRole(ctx, "h_1", "u_bob", household.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMemberRole(ctx, "h_1", "u_ana", household.RoleMember); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.FindMember(ctx, "h_1", "u_ana"); m == nil || m.Role != household.RoleMember {
			t.Errorf("ana after stepping down: %+v", m)
		}
		wantCode(t, "demote the new only owner", s.SetMemberRole(ctx, "h_1", "u_bob", household.RoleMember), apperr.Conflict)
	})
}

func TestStore_HouseholdRemoveMember(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := householdFixture(t, db)
		mustJoinHousehold(t, s, "h_1", "u_bob")
		_, err := s.RemoveMember(ctx, "h_1", "u_ana")
		wantCode(t, "the only owner leaves while bob remains", err, apperr.Conflict)
		_, err = s.RemoveMember(ctx, "h_1", "u_cy")
		wantCode(t, "remove a non-member", err, apperr.NotFound)
		_, err = s.RemoveMember(ctx, "h_none", "u_ana")
		wantCode(t, "remove from an unknown household", err, apperr.NotFound)

		deleted, err := s.RemoveMember(ctx, "h_1", "u_bob")
		if err != nil || deleted {
			t.Fatalf("RemoveMember(bob) = %v, %v; want false, nil", deleted, err)
		}
		if _, err := s.FindMember(ctx, "h_1", "u_bob"); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("bob is still a member: %v", err)
		}
		if err := s.CreateInvitation(ctx, &household.Invitation{TokenHash: []byte("pending"), Household: "h_1",
			CreatedBy: "u_ana", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		deleted, err = s.RemoveMember(ctx, "h_1", "u_ana")
		if err != nil || !deleted {
			t.Fatalf("RemoveMember(last member) = %v, %v; want true, nil", deleted, err)
		}
		_, err = s.FindHousehold(ctx, "h_1")
		wantCode(t, "FindHousehold after the last member left", err, apperr.NotFound)
		for _, table := range []string{"household_members", "household_invitations"} {
			if n := countRows(t, db, `SELECT COUNT(*) FROM `+table+` WHERE household_id = ?`, "h_1"); n != 0 {
				t.Errorf("%s still has %d rows of the deleted household", table, n)
			}
		}
	})
}

// Two owners leaving at once must not both succeed: that would leave a
// member with nobody to run the household.
func TestStore_HouseholdConcurrentOwnersLeave(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := householdFixture(t, db)
		for round := range 5 {
			id := household.ID(fmt.Sprintf("h_r%d", round))
			if err := s.CreateHousehold(ctx, sampleHousehold(string(id), t0), "u_ana"); err != nil {
				t.Fatal(err)
			}
			mustJoinHousehold(t, s, id, "u_bob")
			mustJoinHousehold(t, s, id, "u_cy")
			if err := s.SetMemberRole(ctx, id, "u_bob", household.RoleOwner); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, u := range []identity.UserID{"u_ana", "u_bob"} {
				wg.Go(func() { _, errs[i] = s.RemoveMember(ctx, id, u) })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !apperr.Is(err, apperr.Conflict) {
					t.Errorf("round %d: RemoveMember: %v, want nil or Conflict", round, err)
				}
			}
			owners := countRows(t, db, `SELECT COUNT(*) FROM household_members WHERE household_id = ? AND role = 'owner'`, string(id))
			if ok != 1 || owners != 1 {
				t.Errorf("round %d: %d owners left, %d succeeded; want 1 and 1", round, owners, ok)
			}
		}
	})
}

func TestStore_HouseholdInvitation(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := householdFixture(t, db)
		inv := &household.Invitation{TokenHash: []byte("hash-1"), Household: "h_1", CreatedBy: "u_ana",
			CreatedAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)}
		if err := s.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "CreateInvitation with a taken hash", s.CreateInvitation(ctx, inv), apperr.Conflict)
		other := *inv
		other.TokenHash, other.Household = []byte("hash-2"), "h_none"
		wantCode(t, "CreateInvitation for an unknown household", s.CreateInvitation(ctx, &other), apperr.NotFound)

		_, err := s.RedeemInvitation(ctx, []byte("hash-1"), "u_ana", t0.Add(time.Hour), anyInvitation)
		wantCode(t, "redeem by a member", err, apperr.Conflict)
		if n := countRows(t, db, `SELECT COUNT(*) FROM household_invitations WHERE used_at = 0`); n != 1 {
			t.Errorf("a refused redemption used the invitation up (%d unused)", n)
		}
		_, err = s.RedeemInvitation(ctx, []byte("hash-1"), "u_bob", time.Time{}, anyInvitation)
		wantCode(t, "redeem at the zero time", err, apperr.Invalid)
		_, err = s.RedeemInvitation(ctx, []byte("unknown"), "u_bob", t0, anyInvitation)
		wantCode(t, "redeem an unknown hash", err, apperr.NotFound)
		// The caller's check sees the stored invitation and its creator's
		// role; its refusal is returned and changes nothing.
		var seen household.Invitation
		var creator household.MemberRole
		_, err = s.RedeemInvitation(ctx, []byte("hash-1"), "u_bob", inv.ExpiresAt, func(i *household.Invitation, r household.MemberRole) error {
			seen, creator = *i, r
			return apperr.E("test", apperr.Forbidden, "no")
		})
		wantCode(t, "redeem refused by the check", err, apperr.Forbidden)
		if seen.Household != "h_1" || seen.CreatedBy != "u_ana" || !seen.ExpiresAt.Equal(inv.ExpiresAt) || !seen.CreatedAt.Equal(t0) ||
			!seen.UsedAt.IsZero() || creator != household.RoleOwner {
			t.Errorf("the check saw %+v, creator %q", seen, creator)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM household_invitations WHERE used_at = 0`); n != 1 {
			t.Errorf("a refused redemption used the invitation up (%d unused)", n)
		}

		at := inv.ExpiresAt.Add(-time.Microsecond)
		id, err := s.RedeemInvitation(ctx, []byte("hash-1"), "u_bob", at, anyInvitation)
		if err != nil || id != "h_1" {
			t.Fatalf("RedeemInvitation = %q, %v; want h_1", id, err)
		}
		m, err := s.FindMember(ctx, "h_1", "u_bob")
		if err != nil || m.Role != household.RoleMember || !m.JoinedAt.Equal(at) {
			t.Errorf("bob after joining: %+v, %v", m, err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM household_invitations WHERE used_by = ? AND used_at = ?`, "u_bob", micros(at)); n != 1 {
			t.Errorf("the invitation is not marked used by bob")
		}
		_, err = s.RedeemInvitation(ctx, []byte("hash-1"), "u_cy", t0, anyInvitation)
		wantCode(t, "redeem a used invitation", err, apperr.NotFound)
	})
}

// The check is given the creator's role as it is now: a creator who
// stepped down is seen as a member, one who left as no role at all.
func TestStore_HouseholdInvitationCreatorRole(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := householdFixture(t, db)
		mustJoinHousehold(t, s, "h_1", "u_bob")
		if err := s.SetMemberRole(ctx, "h_1", "u_bob", household.RoleOwner); err != nil {
			t.Fatal(err)
		}
		inv := &household.Invitation{TokenHash: []byte("from bob"), Household: "h_1", CreatedBy: "u_bob",
			CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		roleSeen := func() household.MemberRole {
			t.Helper()
			var got household.MemberRole = "unset"
			_, err := s.RedeemInvitation(ctx, inv.TokenHash, "u_cy", t0, func(_ *household.Invitation, r household.MemberRole) error {
				got = r
				return apperr.E("test", apperr.NotFound, "refused")
			})
			wantCode(t, "refused redemption", err, apperr.NotFound)
			return got
		}
		if r := roleSeen(); r != household.RoleOwner {
			t.Errorf("creator's role = %q, want owner", r)
		}
		if err := s.SetMemberRole(ctx, "h_1", "u_bob", household.RoleMember); err != nil {
			t.Fatal(err)
		}
		if r := roleSeen(); r != household.RoleMember {
			t.Errorf("after stepping down, creator's role = %q, want member", r)
		}
		if _, err := s.RemoveMember(ctx, "h_1", "u_bob"); err != nil {
			t.Fatal(err)
		}
		if r := roleSeen(); r != "" {
			t.Errorf("after leaving, creator's role = %q, want none", r)
		}
	})
}

func TestStore_HouseholdConcurrentRedeem(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := householdFixture(t, db)
		ids := NewIdentityStore(db)
		const n = 8
		users := make([]identity.UserID, n)
		for i := range users {
			users[i] = identity.UserID(fmt.Sprintf("u_c%d", i))
			mustCreateUser(t, ids, string(users[i]), fmt.Sprintf("c%d@example.org", i))
		}
		inv := &household.Invitation{TokenHash: []byte("contested"), Household: "h_1", CreatedBy: "u_ana",
			CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, u := range users {
			wg.Go(func() { _, errs[i] = s.RedeemInvitation(ctx, inv.TokenHash, u, t0, anyInvitation) })
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !apperr.Is(err, apperr.NotFound):
				t.Errorf("%s: %v, want nil or NotFound", users[i], err)
			}
		}
		members := countRows(t, db, `SELECT COUNT(*) FROM household_members WHERE household_id = ?`, "h_1")
		if won != 1 || members != 2 {
			t.Errorf("%d redemptions won and the household has %d members; want 1 and 2", won, members)
		}
	})
}

// Data another domain erases its own way (a clip goes only with its blob)
// refers to the household without a cascade; until it is gone the last
// member cannot take the household with them.
func TestStore_HouseholdRemoveLastMemberWithData(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := householdFixture(t, db)
		// Uncached: the table is queried in the transaction that creates it.
		err := db.migrateTx(ctx, "test", func(tx *tx) error {
			if _, err := tx.exec(ctx, `CREATE TABLE test_household_data (household_id TEXT NOT NULL REFERENCES households (id))`); err != nil {
				return err
			}
			_, err := tx.exec(ctx, `INSERT INTO test_household_data (household_id) VALUES (?)`, "h_1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		deleted, err := s.RemoveMember(ctx, "h_1", "u_ana")
		wantCode(t, "last member leaves a household with data", err, apperr.Conflict)
		if deleted {
			t.Error("RemoveMember reported the household deleted")
		}
		if _, err := s.FindMember(ctx, "h_1", "u_ana"); err != nil {
			t.Errorf("the refused removal still removed ana: %v", err)
		}
		if err := db.write(ctx, "test", func(tx *tx) error {
			_, err := tx.exec(ctx, `DELETE FROM test_household_data`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if deleted, err := s.RemoveMember(ctx, "h_1", "u_ana"); err != nil || !deleted {
			t.Errorf("RemoveMember once the data is gone = %v, %v; want true, nil", deleted, err)
		}
	})
}

// TestUnstorableText: bytes a database refuses to store (PostgreSQL takes
// no NUL and no invalid UTF-8) are the caller's mistake, Invalid, on every
// store; never a server error.
func TestUnstorableText(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		s, _ := householdFixture(t, db)
		ctx := context.Background()
		for _, id := range []household.ID{"h_\x00", "h_\xff"} {
			if _, err := s.FindHousehold(ctx, id); !apperr.Is(err, apperr.NotFound) && !apperr.Is(err, apperr.Invalid) {
				t.Errorf("FindHousehold(%q) = %v, want NotFound or Invalid", id, err)
			}
		}
		for i, name := range []string{"Maison\x00", "Maison\xff"} {
			h := sampleHousehold(fmt.Sprintf("h_bad%d", i), t0)
			h.Name = name
			if err := s.CreateHousehold(ctx, h, "u_ana"); err != nil && !apperr.Is(err, apperr.Invalid) {
				t.Errorf("CreateHousehold with name %q = %v, want nil or Invalid", name, err)
			}
		}
	})
}
