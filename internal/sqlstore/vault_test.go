package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/vault"
)

// vaultFixture is a VaultStore with users u_ana and u_bob and households
// h_a and h_b, inserted with plain SQL: the household store is not needed
// to test the vault's tables.
func vaultFixture(t *testing.T, db *DB) *VaultStore {
	t.Helper()
	ids := NewIdentityStore(db)
	mustCreateUser(t, ids, "u_ana", "ana@example.org")
	mustCreateUser(t, ids, "u_bob", "bob@example.org")
	for _, hh := range []string{"h_a", "h_b"} {
		err := db.write(context.Background(), "test", func(tx *tx) error {
			_, err := tx.exec(context.Background(), `INSERT INTO households
				(id, name, address, home_lat, home_lng, time_zone, retention_days, created_at)
				VALUES (?, 'Home', '', 48.85, 2.35, 'Europe/Paris', 30, ?)`, hh, micros(t0))
			return err
		})
		if err != nil {
			t.Fatalf("insert household %s: %v", hh, err)
		}
	}
	return NewVaultStore(db)
}

func testClip(id string, hh household.ID, start time.Time, hash string) *vault.Clip {
	return &vault.Clip{
		ID: vault.ClipID(id), Household: hh, Device: "d_cam", Kind: vault.KindVideo,
		Start: start, End: start.Add(30 * time.Second), Size: 1 << 40, HeaderSize: 250,
		ContentHash: hash, CreatedAt: start.Add(time.Minute),
	}
}

func mustCreateClip(t *testing.T, s *VaultStore, c *vault.Clip) {
	t.Helper()
	if err := s.CreateClip(context.Background(), c); err != nil {
		t.Fatalf("CreateClip(%s): %v", c.ID, err)
	}
}

func clipIDs(cs []*vault.Clip) []vault.ClipID {
	out := []vault.ClipID{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestStore_VaultClips(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := vaultFixture(t, db)
		c1 := testClip("c_1", "h_a", t0, "aa")
		mustCreateClip(t, s, c1)
		got, err := s.FindClip(ctx, "c_1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c1, got); diff != "" {
			t.Errorf("FindClip (-want +got):\n%s", diff)
		}
		if got, err := s.FindClipByHash(ctx, "h_a", "aa"); err != nil || got.ID != "c_1" {
			t.Errorf("FindClipByHash = %v, %v", got, err)
		}
		_, err = s.FindClipByHash(ctx, "h_b", "aa")
		wantCode(t, "FindClipByHash(other household)", err, apperr.NotFound)
		_, err = s.FindClip(ctx, "c_none")
		wantCode(t, "FindClip(unknown)", err, apperr.NotFound)

		// The same bytes are one clip per household, but may exist in two.
		wantCode(t, "CreateClip(same hash)", s.CreateClip(ctx, testClip("c_2", "h_a", t0, "aa")), apperr.Conflict)
		wantCode(t, "CreateClip(same id)", s.CreateClip(ctx, testClip("c_1", "h_a", t0, "bb")), apperr.Conflict)
		mustCreateClip(t, s, testClip("c_3", "h_b", t0, "aa"))
		wantCode(t, "CreateClip(no household)", s.CreateClip(ctx, testClip("c_4", "h_none", t0, "cc")), apperr.NotFound)

		if err := s.DeleteClip(ctx, "c_1"); err != nil {
			t.Fatal(err)
		}
		_, err = s.FindClip(ctx, "c_1")
		wantCode(t, "FindClip(deleted)", err, apperr.NotFound)
		wantCode(t, "DeleteClip(deleted)", s.DeleteClip(ctx, "c_1"), apperr.NotFound)
		mustCreateClip(t, s, testClip("c_5", "h_a", t0, "aa")) // the hash is free again
	})
}

func TestStore_VaultListClips(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := vaultFixture(t, db)
		for i := range 5 {
			mustCreateClip(t, s, testClip(fmt.Sprintf("c_%d", i), "h_a", t0.Add(time.Duration(i)*time.Hour), fmt.Sprint(i)))
		}
		mustCreateClip(t, s, testClip("c_b", "h_b", t0, "b"))
		hour := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
		for _, tc := range []struct {
			name     string
			from, to time.Time
			limit    int
			want     []vault.ClipID
		}{
			{"All", time.Time{}, time.Time{}, 10, []vault.ClipID{"c_4", "c_3", "c_2", "c_1", "c_0"}},
			{"Limit", time.Time{}, time.Time{}, 2, []vault.ClipID{"c_4", "c_3"}},
			{"FromInclusive", hour(3), time.Time{}, 10, []vault.ClipID{"c_4", "c_3"}},
			{"ToExclusive", time.Time{}, hour(1), 10, []vault.ClipID{"c_0"}},
			{"Window", hour(1), hour(3), 10, []vault.ClipID{"c_2", "c_1"}},
			{"Empty", hour(9), time.Time{}, 10, []vault.ClipID{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.ListClips(ctx, "h_a", tc.from, tc.to, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, clipIDs(got)); diff != "" {
					t.Errorf("ListClips (-want +got):\n%s", diff)
				}
			})
		}

		hhs, err := s.ClipHouseholds(ctx)
		if err != nil || !cmp.Equal(hhs, []household.ID{"h_a", "h_b"}) {
			t.Errorf("ClipHouseholds = %v, %v", hhs, err)
		}
		// c_i ends at hour(i)+30s.
		ended, err := s.ListClipsEndedBefore(ctx, "h_a", hour(2).Add(30*time.Second), 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]vault.ClipID{"c_0", "c_1"}, clipIDs(ended)); diff != "" {
			t.Errorf("ListClipsEndedBefore (-want +got):\n%s", diff)
		}
		if ended, _ := s.ListClipsEndedBefore(ctx, "h_a", hour(9), 3); len(ended) != 3 {
			t.Errorf("ListClipsEndedBefore with limit 3 returned %d", len(ended))
		}
	})
}

func TestStore_VaultWraps(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := vaultFixture(t, db)
		mustCreateClip(t, s, testClip("c_1", "h_a", t0, "aa"))
		w1 := &vault.Wrap{Clip: "c_1", Recipient: "age1one", Header: []byte("header one"), CreatedBy: "u_ana", CreatedAt: t0}
		w2 := &vault.Wrap{Clip: "c_1", Recipient: "age1two", Header: []byte("header two"), CreatedBy: "u_ana", CreatedAt: t0.Add(time.Second)}
		for _, w := range []*vault.Wrap{w1, w2} {
			if err := s.PutWrap(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.FindWrap(ctx, "c_1", "age1one")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w1, got); diff != "" {
			t.Errorf("FindWrap (-want +got):\n%s", diff)
		}
		// Putting again replaces.
		w1b := &vault.Wrap{Clip: "c_1", Recipient: "age1one", Header: []byte("new"), CreatedBy: "u_bob", CreatedAt: t0.Add(time.Hour)}
		if err := s.PutWrap(ctx, w1b); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListWraps(ctx, "c_1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*vault.Wrap{w2, w1b}, list); diff != "" {
			t.Errorf("ListWraps (-want +got):\n%s", diff)
		}
		wantCode(t, "PutWrap(no clip)", s.PutWrap(ctx, &vault.Wrap{Clip: "c_none", Recipient: "r", Header: []byte("h")}), apperr.NotFound)
		_, err = s.FindWrap(ctx, "c_1", "age1none")
		wantCode(t, "FindWrap(unknown)", err, apperr.NotFound)

		if err := s.DeleteWrap(ctx, "c_1", "age1two"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "DeleteWrap(again)", s.DeleteWrap(ctx, "c_1", "age1two"), apperr.NotFound)
		// Deleting the clip deletes its wraps.
		if err := s.DeleteClip(ctx, "c_1"); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM clip_wraps`); n != 0 {
			t.Errorf("%d wraps left after DeleteClip", n)
		}
	})
}

func TestStore_VaultMemberKeys(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := vaultFixture(t, db)
		k := &vault.MemberKey{User: "u_ana", Recipient: "age1ana", WrappedIdentity: []byte("wrapped\x00\xff"), UpdatedAt: t0}
		if err := s.SetMemberKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindMemberKey(ctx, "u_ana")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(k, got); diff != "" {
			t.Errorf("FindMemberKey (-want +got):\n%s", diff)
		}
		k2 := &vault.MemberKey{User: "u_ana", Recipient: "age1ana2", WrappedIdentity: []byte("w2"), UpdatedAt: t0.Add(time.Hour)}
		if err := s.SetMemberKey(ctx, k2); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.FindMemberKey(ctx, "u_ana"); !cmp.Equal(k2, got) {
			t.Errorf("after replacing, FindMemberKey = %+v, want %+v", got, k2)
		}
		_, err = s.FindMemberKey(ctx, "u_bob")
		wantCode(t, "FindMemberKey(none)", err, apperr.NotFound)
		wantCode(t, "SetMemberKey(no user)", s.SetMemberKey(ctx, &vault.MemberKey{User: "u_none", Recipient: "r", WrappedIdentity: []byte("w")}), apperr.NotFound)

		bob := &vault.MemberKey{User: "u_bob", Recipient: "age1bob", WrappedIdentity: []byte("wb"), UpdatedAt: t0}
		if err := s.SetMemberKey(ctx, bob); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListMemberKeys(ctx, []identity.UserID{"u_bob", "u_none", "u_ana", "u_bob"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*vault.MemberKey{bob, k2}, list); diff != "" {
			t.Errorf("ListMemberKeys (-want +got):\n%s", diff)
		}
		if list, err := s.ListMemberKeys(ctx, nil); err != nil || len(list) != 0 {
			t.Errorf("ListMemberKeys(nil) = %v, %v", list, err)
		}
		// Erasing the account erases its key.
		if err := db.write(ctx, "test", func(tx *tx) error {
			_, err := tx.exec(ctx, `DELETE FROM users WHERE id = ?`, "u_bob")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_, err = s.FindMemberKey(ctx, "u_bob")
		wantCode(t, "FindMemberKey(erased user)", err, apperr.NotFound)
	})
}

// TestStore_VaultHouseholdKeepsClips checks that a household with clips
// cannot be deleted under them: the rows would go and the blobs would stay.
func TestStore_VaultHouseholdKeepsClips(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := vaultFixture(t, db)
		mustCreateClip(t, s, testClip("c_1", "h_a", t0, "aa"))
		err := db.write(ctx, "test", func(tx *tx) error {
			_, err := tx.exec(ctx, `DELETE FROM households WHERE id = ?`, "h_a")
			return err
		})
		if err == nil {
			t.Fatal("deleting a household with clips succeeded")
		}
		if _, err := s.FindClip(ctx, "c_1"); err != nil {
			t.Errorf("FindClip after the refused delete: %v", err)
		}
	})
}

func TestStore_VaultClipsExist(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := vaultFixture(t, db)
		mustCreateClip(t, s, testClip("c_1", "h_a", t0, "aa"))
		mustCreateClip(t, s, testClip("c_2", "h_a", t0, "bb"))
		mustCreateClip(t, s, testClip("c_3", "h_b", t0, "cc"))
		got, err := s.ClipsExist(ctx, "h_a", []vault.ClipID{"c_3", "c_2", "c_none", "c_1"})
		if diff := cmp.Diff([]vault.ClipID{"c_1", "c_2"}, got); diff != "" || err != nil {
			t.Errorf("ClipsExist (-want +got):\n%s%v", diff, err)
		}
		if got, err := s.ClipsExist(ctx, "h_a", nil); len(got) != 0 || err != nil {
			t.Errorf("ClipsExist(none) = %v, %v", got, err)
		}
	})
}
