package household_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/sqlstore"
)

// recordingStore is the real store, with a record of the invitations the
// service asks it to keep (to see what reaches the database).
type recordingStore struct {
	household.Store
	mu          sync.Mutex
	invitations []household.Invitation
}

func (r *recordingStore) CreateInvitation(ctx context.Context, inv *household.Invitation) error {
	r.mu.Lock()
	r.invitations = append(r.invitations, *inv)
	r.mu.Unlock()
	return r.Store.CreateInvitation(ctx, inv)
}

type fixture struct {
	svc   *household.Service
	clock *clock.Fake
	store *recordingStore
	users *sqlstore.IdentityStore
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, t.TempDir()+"/hearth.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	store := &recordingStore{Store: sqlstore.NewHouseholdStore(db)}
	return &fixture{svc: household.NewService(household.Deps{Store: store, Clock: clk}), clock: clk, store: store, users: sqlstore.NewIdentityStore(db)}
}

// user creates an account with the minimal fields an account needs.
func (f *fixture) user(t *testing.T, name string) identity.UserID {
	t.Helper()
	id := identity.UserID("u_" + name)
	u := &identity.User{ID: id, Email: name + "@example.org", Role: identity.RoleResident,
		Status: identity.StatusActive, PasswordHash: "x", CreatedAt: f.clock.Now()}
	if err := f.users.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return id
}

func goodHousehold() household.NewHousehold {
	return household.NewHousehold{Name: "Home", Address: "20 W 34th St, New York",
		Home: household.Location{Lat: 40.748440, Lng: -73.985664}, TimeZone: "America/New_York", RetentionDays: 30}
}

func (f *fixture) create(t *testing.T, owner identity.UserID) *household.Household {
	t.Helper()
	h, err := f.svc.Create(context.Background(), owner, goodHousehold())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return h
}

// invite returns a fresh invitation token to h from owner.
func (f *fixture) invite(t *testing.T, owner identity.UserID, h household.ID) string {
	t.Helper()
	token, _, err := f.svc.Invite(context.Background(), owner, h)
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	return token
}

// join makes user a plain member of h through an invitation from owner.
func (f *fixture) join(t *testing.T, owner identity.UserID, h household.ID, user identity.UserID) {
	t.Helper()
	if _, err := f.svc.Join(context.Background(), user, f.invite(t, owner, h)); err != nil {
		t.Fatalf("Join(%s): %v", user, err)
	}
}

// wantErr fails the test unless err carries code and, if msg is set, a
// message containing msg.
func wantErr(t *testing.T, what string, err error, code apperr.Code, msg string) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
		return
	}
	if m := apperr.MessageOf(err); msg != "" && !strings.Contains(m, msg) {
		t.Errorf("%s: message %q, want one containing %q", what, m, msg)
	}
}

func TestCreateAndUpdateValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(n *household.NewHousehold)
		want   func(n *household.NewHousehold) // the stored settings, if not n itself
		msg    string                          // a piece of the Invalid message; "" for success
	}{
		{name: "OK", change: func(n *household.NewHousehold) {}},
		{name: "OKTrimmed", change: func(n *household.NewHousehold) { n.Name, n.Address = "  Home \n", " 1 Main St  " },
			want: func(n *household.NewHousehold) { n.Name, n.Address = "Home", "1 Main St" }},
		{name: "OKName100Characters", change: func(n *household.NewHousehold) { n.Name = strings.Repeat("é", 100) }},
		{name: "OKAddressEmpty", change: func(n *household.NewHousehold) { n.Address = "" }},
		{name: "OKAddress300Characters", change: func(n *household.NewHousehold) { n.Address = strings.Repeat("ß", 300) }},
		{name: "OKNorthPole", change: func(n *household.NewHousehold) { n.Home = household.Location{Lat: 90, Lng: 180} }},
		{name: "OKSouthPole", change: func(n *household.NewHousehold) { n.Home = household.Location{Lat: -90, Lng: -180} }},
		{name: "OKTimeZoneUTC", change: func(n *household.NewHousehold) { n.TimeZone = "UTC" }},
		{name: "OKRetention7", change: func(n *household.NewHousehold) { n.RetentionDays = 7 }},
		{name: "OKRetention180", change: func(n *household.NewHousehold) { n.RetentionDays = 180 }},
		{name: "ErrNameEmpty", change: func(n *household.NewHousehold) { n.Name = " \t " }, msg: "name"},
		{name: "ErrNameTooLong", change: func(n *household.NewHousehold) { n.Name = strings.Repeat("é", 101) }, msg: "100 characters"},
		{name: "ErrNameNotUTF8", change: func(n *household.NewHousehold) { n.Name = "Home\xff" }, msg: "valid text"},
		{name: "ErrAddressTooLong", change: func(n *household.NewHousehold) { n.Address = strings.Repeat("ß", 301) }, msg: "300 characters"},
		{name: "ErrAddressNotUTF8", change: func(n *household.NewHousehold) { n.Address = "\xc3" }, msg: "valid text"},
		{name: "ErrNameInvisible", change: func(n *household.NewHousehold) { n.Name = "\u200b\u200b" }, msg: "zero-width"},
		{name: "ErrNameReversed", change: func(n *household.NewHousehold) { n.Name = "Home\u202eemoH" }, msg: "bidirectional"},
		{name: "ErrAddressNUL", change: func(n *household.NewHousehold) { n.Address = "1 Elm\x00St" }, msg: "control character"},
		{name: "ErrLatAbove90", change: func(n *household.NewHousehold) { n.Home.Lat = 90.000001 }, msg: "latitude"},
		{name: "ErrLatBelow90", change: func(n *household.NewHousehold) { n.Home.Lat = -91 }, msg: "latitude"},
		{name: "ErrLatNaN", change: func(n *household.NewHousehold) { n.Home.Lat = math.NaN() }, msg: "latitude"},
		{name: "ErrLatInf", change: func(n *household.NewHousehold) { n.Home.Lat = math.Inf(1) }, msg: "latitude"},
		{name: "ErrLngAbove180", change: func(n *household.NewHousehold) { n.Home.Lng = 180.5 }, msg: "longitude"},
		{name: "ErrLngBelow180", change: func(n *household.NewHousehold) { n.Home.Lng = -180.000001 }, msg: "longitude"},
		{name: "ErrLngNaN", change: func(n *household.NewHousehold) { n.Home.Lng = math.NaN() }, msg: "longitude"},
		{name: "ErrLngInf", change: func(n *household.NewHousehold) { n.Home.Lng = math.Inf(-1) }, msg: "longitude"},
		{name: "ErrTimeZoneEmpty", change: func(n *household.NewHousehold) { n.TimeZone = "" }, msg: "time zone"},
		{name: "ErrTimeZoneLocal", change: func(n *household.NewHousehold) { n.TimeZone = "Local" }, msg: "time zone"},
		{name: "ErrBadTimeZone", change: func(n *household.NewHousehold) { n.TimeZone = "Mars/Olympus_Mons" }, msg: "time zone"},
		{name: "ErrTimeZonePath", change: func(n *household.NewHousehold) { n.TimeZone = "../../../etc/passwd" }, msg: "time zone"},
		{name: "ErrRetention0", change: func(n *household.NewHousehold) { n.RetentionDays = 0 }, msg: "days"},
		{name: "ErrRetention45", change: func(n *household.NewHousehold) { n.RetentionDays = 45 }, msg: "days"},
		{name: "ErrRetention365", change: func(n *household.NewHousehold) { n.RetentionDays = 365 }, msg: "days"},
	}
	f := newFixture(t)
	ctx := context.Background()
	ana := f.user(t, "ana")
	existing := f.create(t, ana)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := goodHousehold()
			tc.change(&n)
			want := n
			if tc.want != nil {
				tc.want(&want)
			}
			for _, method := range []string{"Create", "Update"} {
				var h *household.Household
				var err error
				if method == "Create" {
					h, err = f.svc.Create(ctx, ana, n)
				} else {
					h, err = f.svc.Update(ctx, ana, existing.ID, n)
				}
				if tc.msg != "" {
					wantErr(t, method, err, apperr.Invalid, tc.msg)
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", method, err)
				}
				got, err := f.svc.Get(ctx, ana, h.ID)
				if err != nil {
					t.Fatalf("%s, then Get: %v", method, err)
				}
				stored := household.NewHousehold{Name: got.Name, Address: got.Address, Home: got.Home,
					TimeZone: got.TimeZone, RetentionDays: got.RetentionDays}
				if diff := cmp.Diff(want, stored); diff != "" {
					t.Errorf("%s stored (-want +got):\n%s", method, diff)
				}
			}
		})
	}
	// A refused update changed nothing.
	got, err := f.svc.Get(ctx, ana, existing.ID)
	if err != nil || got.RetentionDays == 45 || got.TimeZone == "Local" {
		t.Errorf("after refused updates: %+v, %v", got, err)
	}
}

func TestCreate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana := f.user(t, "ana")
	h := f.create(t, ana)
	if !strings.HasPrefix(string(h.ID), "h_") || len(h.ID) != 2+26 || !h.CreatedAt.Equal(f.clock.Now()) {
		t.Errorf("Create = %+v", h)
	}
	if h2 := f.create(t, ana); h2.ID == h.ID {
		t.Errorf("two households got the same id %s", h.ID)
	}
	role, err := f.svc.MemberRole(ctx, h.ID, ana)
	if err != nil || role != household.RoleOwner {
		t.Errorf("creator's role = %q, %v; want owner", role, err)
	}
	_, err = f.svc.Create(ctx, "u_nobody", goodHousehold())
	wantErr(t, "Create for an unknown account", err, apperr.NotFound, "")
}

// Outsiders get NotFound, with the very message an unknown id gets, for
// every operation on a household: never Forbidden, which would tell them
// that it exists.
func TestOutsidersLearnNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob := f.user(t, "ana"), f.user(t, "bob")
	a := f.create(t, ana)
	b := f.create(t, bob)
	f.join(t, bob, b.ID, f.user(t, "cy"))

	ops := map[string]func(id household.ID) error{
		"Get":     func(id household.ID) error { _, err := f.svc.Get(ctx, ana, id); return err },
		"Members": func(id household.ID) error { _, err := f.svc.Members(ctx, ana, id); return err },
		"Invite":  func(id household.ID) error { _, _, err := f.svc.Invite(ctx, ana, id); return err },
		"Update": func(id household.ID) error {
			_, err := f.svc.Update(ctx, ana, id, goodHousehold())
			return err
		},
		"RemoveMember": func(id household.ID) error { return f.svc.RemoveMember(ctx, ana, id, "u_cy") },
		"SetRole":      func(id household.ID) error { return f.svc.SetRole(ctx, ana, id, "u_cy", household.RoleOwner) },
		"Leave":        func(id household.ID) error { return f.svc.Leave(ctx, ana, id) },
		"MemberRole":   func(id household.ID) error { _, err := f.svc.MemberRole(ctx, id, ana); return err },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			other, unknown := op(b.ID), op("h_doesnotexist")
			wantErr(t, "on another household", other, apperr.NotFound, "")
			wantErr(t, "on an unknown id", unknown, apperr.NotFound, "")
			if m1, m2 := apperr.MessageOf(other), apperr.MessageOf(unknown); m1 != m2 {
				t.Errorf("messages differ: %q for another household, %q for an unknown one", m1, m2)
			}
		})
	}
	list, err := f.svc.ListForUser(ctx, ana)
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("ListForUser(ana) = %v, %v; want only %s", list, err, a.ID)
	}
	// Nothing was changed by the refused calls.
	members, err := f.svc.Members(ctx, bob, b.ID)
	if err != nil || len(members) != 2 || members[1].Role != household.RoleMember {
		t.Errorf("B's members after outsider calls: %v, %v", members, err)
	}
}

// A plain member may look but not manage.
func TestPlainMemberIsForbidden(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob, cy := f.user(t, "ana"), f.user(t, "bob"), f.user(t, "cy")
	h := f.create(t, ana)
	f.join(t, ana, h.ID, bob)
	f.join(t, ana, h.ID, cy)

	if _, err := f.svc.Get(ctx, bob, h.ID); err != nil {
		t.Errorf("Get by a member: %v", err)
	}
	if list, err := f.svc.Members(ctx, bob, h.ID); err != nil || len(list) != 3 || list[0].UserID != ana {
		t.Errorf("Members by a member = %v, %v", list, err)
	}
	_, _, err := f.svc.Invite(ctx, bob, h.ID)
	wantErr(t, "Invite by a member", err, apperr.Forbidden, "owners")
	_, err = f.svc.Update(ctx, bob, h.ID, goodHousehold())
	wantErr(t, "Update by a member", err, apperr.Forbidden, "owners")
	wantErr(t, "RemoveMember by a member", f.svc.RemoveMember(ctx, bob, h.ID, cy), apperr.Forbidden, "owners")
	wantErr(t, "SetRole by a member", f.svc.SetRole(ctx, bob, h.ID, bob, household.RoleOwner), apperr.Forbidden, "owners")
	if role, _ := f.svc.MemberRole(ctx, h.ID, bob); role != household.RoleMember {
		t.Errorf("bob promoted himself to %q", role)
	}
}

func TestMemberIDsRetentionAndPublicHome(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob := f.user(t, "ana"), f.user(t, "bob")
	n := goodHousehold()
	n.RetentionDays = 60
	h, err := f.svc.Create(ctx, ana, n)
	if err != nil {
		t.Fatal(err)
	}
	f.join(t, ana, h.ID, bob)

	ids, err := f.svc.MemberIDs(ctx, h.ID)
	if diff := cmp.Diff([]identity.UserID{ana, bob}, ids); err != nil || diff != "" {
		t.Errorf("MemberIDs (-want +got), %v:\n%s", err, diff)
	}
	_, err = f.svc.MemberIDs(ctx, "h_none")
	wantErr(t, "MemberIDs unknown", err, apperr.NotFound, "")

	if d, err := f.svc.Retention(ctx, h.ID); err != nil || d != 60*24*time.Hour {
		t.Errorf("Retention = %v, %v; want 60 days", d, err)
	}
	_, err = f.svc.Retention(ctx, "h_none")
	wantErr(t, "Retention unknown", err, apperr.NotFound, "")

	pub, err := f.svc.PublicHome(ctx, h.ID)
	if err != nil || pub != household.PublicLocation(n.Home) || pub == n.Home {
		t.Errorf("PublicHome = %v, %v; want the coarsened %v, not the home %v", pub, err, household.PublicLocation(n.Home), n.Home)
	}
	_, err = f.svc.PublicHome(ctx, "h_none")
	wantErr(t, "PublicHome unknown", err, apperr.NotFound, "")
}

func TestHomesForIndex(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob := f.user(t, "ana"), f.user(t, "bob")
	var want []household.HomeEntry
	for i, owner := range []identity.UserID{ana, bob, bob} {
		n := goodHousehold()
		n.Home = household.Location{Lat: 10 + float64(i)/7, Lng: -20 - float64(i)/9}
		h, err := f.svc.Create(ctx, owner, n)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, household.HomeEntry{Household: h.ID, Home: n.Home})
	}
	slices.SortFunc(want, func(a, b household.HomeEntry) int { return strings.Compare(string(a.Household), string(b.Household)) })
	got, err := f.svc.HomesForIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HomesForIndex (-want +got):\n%s", diff)
	}
}

// pagedHomes serves ListHomes from memory, to show that HomesForIndex
// reads page after page until the last, short, one.
type pagedHomes struct {
	household.Store
	homes []household.HomeEntry
	calls int
}

func (p *pagedHomes) ListHomes(_ context.Context, after household.ID, limit int) ([]household.HomeEntry, error) {
	p.calls++
	i, _ := slices.BinarySearchFunc(p.homes, after, func(e household.HomeEntry, id household.ID) int {
		return strings.Compare(string(e.Household), string(id))
	})
	if i < len(p.homes) && p.homes[i].Household == after {
		i++
	}
	return slices.Clone(p.homes[i:min(i+limit, len(p.homes))]), nil
}

func TestHomesForIndexReadsEveryPage(t *testing.T) {
	for _, n := range []int{0, 1, 9999, 10000, 10001, 25000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			store := &pagedHomes{}
			for i := range n {
				store.homes = append(store.homes, household.HomeEntry{Household: household.ID(fmt.Sprintf("h_%06d", i)),
					Home: household.Location{Lat: float64(i) / 1000}})
			}
			svc := household.NewService(household.Deps{Store: store, Clock: clock.NewFake(time.Time{})})
			got, err := svc.HomesForIndex(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n || (n > 0 && got[n-1] != store.homes[n-1]) {
				t.Errorf("got %d homes, want %d", len(got), n)
			}
			if want := n/10000 + 1; store.calls != want {
				t.Errorf("%d ListHomes calls, want %d", store.calls, want)
			}
		})
	}
}

func TestInviteStoresOnlyTheHash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana := f.user(t, "ana")
	h := f.create(t, ana)
	token, expires, err := f.svc.Invite(ctx, ana, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "hi_") || len(token) != 3+52 {
		t.Errorf("token %q: want hi_ and 256 bits in base32", token)
	}
	if want := f.clock.Now().Add(7 * 24 * time.Hour); !expires.Equal(want) {
		t.Errorf("expires %v, want %v", expires, want)
	}
	if other := f.invite(t, ana, h.ID); other == token {
		t.Error("two invitations share a token")
	}
	sum := sha256.Sum256([]byte(token))
	inv := f.store.invitations[0]
	if string(inv.TokenHash) != string(sum[:]) || inv.Household != h.ID || inv.CreatedBy != ana || !inv.ExpiresAt.Equal(expires) {
		t.Errorf("stored invitation %+v, want the SHA-256 of the token", inv)
	}
}
